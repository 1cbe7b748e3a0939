// Every failure leaves as application/problem+json: our Problems as they are; Fastify's own
// errors (validation, parsing, body size, media type, and those raised before a route is found)
// mapped to a named 4xx; a value PostgreSQL refused is the client's 400; anything else is a 500
// that carries the request id and nothing of the internals.
import crypto from "node:crypto";
import http from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Problem, problems, type ProblemField } from "../core/problem.ts";
import { isDatabaseBusy, isDataException } from "../db/errors.ts";

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The pointer names the offending field itself, not its parent, for missing and unknown ones. */
function fieldOf(error: AjvError, context: string | undefined): ProblemField {
  let pointer = error.instancePath;
  let detail = error.message ?? "is invalid";
  if (error.keyword === "required") {
    pointer += `/${escapePointer(String(error.params.missingProperty))}`;
    detail = "is required";
  } else if (error.keyword === "additionalProperties") {
    pointer += `/${escapePointer(String(error.params.additionalProperty))}`;
    detail = "is not a known property";
  } else if (error.keyword === "enum") {
    detail = `must be one of: ${(error.params.allowedValues as unknown[]).join(", ")}`;
  } else if (error.keyword === "minProperties") {
    detail = "must have at least one property";
  }
  if (context === "body") return { pointer, detail };
  const name = pointer.split("/")[1] ?? "";
  const unescaped = name.replaceAll("~1", "/").replaceAll("~0", "~");
  return context === "headers" ? { header: unescaped, detail } : { parameter: unescaped, detail };
}

const MAX_LISTED_ERRORS = 20;

function validationProblem(error: FastifyError): Problem {
  const context = (error as FastifyError & { validationContext?: string }).validationContext;
  // With allErrors, a 10,000-item array of bad items yields 10,000 errors: name the first few.
  const all = error.validation as AjvError[];
  const errors = all.slice(0, MAX_LISTED_ERRORS).map((item) => fieldOf(item, context));
  const where = context === "querystring" ? "query" : context === "params" ? "path" : context;
  const more = all.length > errors.length ? `; and ${all.length - errors.length} more` : "";
  const detail = errors.map((item) => `${where}${item.pointer ?? `.${item.parameter ?? item.header}`} ${item.detail}`).join("; ") + more;
  return problems.validation(detail, errors);
}

/** Fastify's built-in errors with a 4xx status, by code. */
function frameworkProblem(error: FastifyError, request: FastifyRequest): Problem | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return problems.unsupportedMediaType(request.headers["content-type"]);
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return problems.payloadTooLarge(request.routeOptions.bodyLimit ?? 0);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return problems.malformed("The body is empty; send a JSON document.");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return problems.malformed(`The body is not valid JSON: ${error.message}`);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return problems.malformed("The Content-Length header does not match the body.");
    default:
      break;
  }
  if (error instanceof SyntaxError) return problems.malformed(`The body is not valid JSON: ${error.message}`);
  if (error.statusCode === 429) return problems.tooManyRequests(Number(error.message) || 60);
  // A plugin's own client error (e.g. a static file it refuses) keeps its status.
  const status = error.statusCode ?? (error as { status?: number }).status;
  if (typeof status === "number" && status >= 400 && status < 500) return statusProblem(status, "The request was refused.");
  return undefined;
}

/** A problem named after the HTTP status itself, for errors that carry nothing more specific. */
function statusProblem(status: number, detail: string): Problem {
  const title = http.STATUS_CODES[status] ?? "Client error";
  return new Problem(status, title.toLowerCase().replaceAll(/[^a-z]+/g, "_").replace(/^_|_$/g, ""), title, detail);
}

function dataExceptionProblem(): Problem {
  return new Problem(400, "invalid_value", "Invalid value", "A value in the request cannot be stored or compared (out of range, or not valid for its type).");
}

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof Problem) return error;
  if (isDatabaseBusy(error)) return problems.busy();
  if (isDataException(error)) return dataExceptionProblem();
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) return validationProblem(fastifyError);
  return frameworkProblem(fastifyError, request) ?? problems.internal();
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const { request } = reply;
  return reply
    .status(problem.status)
    .headers(problem.headers)
    .type("application/problem+json")
    .send(problem.toBody({ instance: request.url.split("?")[0], requestId: String(request.id) }));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, request);
    // A data exception means a value got past the validator: worth finding, but the client's fault.
    if (problem.code === "invalid_value") request.log.warn({ err: error, operationId: request.routeOptions.config.operationId }, "value refused by the database");
    else if (problem.status === 503) request.log.warn({ err: error, operationId: request.routeOptions.config.operationId }, "database busy");
    else if (problem.status >= 500) request.log.error({ err: error, operationId: request.routeOptions.config.operationId }, "request failed");
    return sendProblem(reply, problem);
  });
  // Rate-limited like any route: the limits' onRequest hook runs for unknown routes too.
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problems.routeNotFound(request.method, request.url.split("?")[0] ?? "")),
  );
}

/**
 * For Fastify's `frameworkErrors`: errors raised while routing, before any route (or its error
 * handler) is chosen: bad percent-encoding in the path, a path parameter over maxParamLength.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  let problem: Problem;
  if (error.code === "FST_ERR_BAD_URL") problem = problems.malformed("The URL is not valid percent-encoded UTF-8.");
  else if (error.code === "FST_ERR_MAX_PARAM_LENGTH") problem = statusProblem(414, "A path segment of the URL is too long.");
  else problem = toProblem(error, request);
  if (problem.status >= 500) request.log.error({ err: error }, "request failed before routing");
  void sendProblem(reply, problem);
}

function clientErrorProblem(error: NodeJS.ErrnoException): Problem {
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return statusProblem(408, "The request took too long to arrive.");
  if (error.code === "HPE_HEADER_OVERFLOW") return statusProblem(431, "The request line and headers are larger than the server accepts; shorten the URL or the headers.");
  return problems.malformed("The request is not valid HTTP.");
}

/**
 * For the server's `clientError`: the HTTP parser refused the request (headers or URL too large,
 * malformed syntax, a header value with control characters, a timeout), so there is no request
 * to reply through; the answer is written on the socket, as Node itself would, but as a problem.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const problem = clientErrorProblem(error);
  const { status } = problem;
  const requestId = crypto.randomUUID();
  const body = JSON.stringify(problem.toBody({ requestId }));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
