// Every failure leaves as application/problem+json: our Problems as they are; Fastify's own
// errors (validation, parsing, body size, media type) mapped to a named 4xx; anything else is a
// 500 that carries the request id and nothing of the internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Problem, problems, type ProblemField } from "../core/problem.ts";
import { isDatabaseBusy } from "../db/errors.ts";

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

function validationProblem(error: FastifyError): Problem {
  const context = (error as FastifyError & { validationContext?: string }).validationContext;
  const errors = (error.validation as AjvError[]).map((item) => fieldOf(item, context));
  const where = context === "querystring" ? "query" : context === "params" ? "path" : context;
  const detail = errors.map((item) => `${where}${item.pointer ?? `.${item.parameter ?? item.header}`} ${item.detail}`).join("; ");
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
  return undefined;
}

export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof Problem) return error;
  if (isDatabaseBusy(error)) return problems.busy();
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
    if (problem.status === 503) request.log.warn({ err: error, operationId: request.routeOptions.config.operationId }, "database busy");
    else if (problem.status >= 500) request.log.error({ err: error, operationId: request.routeOptions.config.operationId }, "request failed");
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) =>
    sendProblem(reply, problems.routeNotFound(request.method, request.url.split("?")[0] ?? "")),
  );
}
