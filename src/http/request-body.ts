// Bodies are validated per media type, so a body of a type the operation does not declare would
// reach its handler unvalidated. This hook makes the contract's requestBody the only door:
// another media type is a 415, a missing required body a 400, and a body where none is expected
// a 400. Operations that stream their body (multipart/form-data files, `*/*` raw uploads) get
// the same media-type check, but their body is read by the handler (request.body stays
// undefined), so presence is judged from the headers.
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Contract } from "../core/contract.ts";
import { Problem, problems } from "../core/problem.ts";

const STREAMED_MEDIA_TYPES = ["multipart/form-data", "*/*"];

function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(";")[0]?.trim().toLowerCase() || undefined;
}

/** Did the client send body bytes, parsed or not? */
function bodySent(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return (length !== undefined && length !== "0") || request.headers["transfer-encoding"] !== undefined;
}

export function registerRequestBodyCheck(app: FastifyInstance, contract: Contract): void {
  app.addHook("preValidation", async (request) => {
    const operationId = request.routeOptions.config.operationId;
    if (operationId === undefined) return;
    const expected = contract.operations.get(operationId)?.requestBody;
    const mediaType = mediaTypeOf(request.headers["content-type"]);
    const hasBody = request.body !== undefined && request.body !== null;
    const sent = hasBody || (mediaType !== undefined && bodySent(request));
    if (!expected) {
      if (sent) throw new Problem(400, "unexpected_body", "Unexpected body", `${operationId} takes no request body.`);
      return;
    }
    const streamed = expected.mediaTypes.some((type) => STREAMED_MEDIA_TYPES.includes(type));
    if (!sent) {
      if (expected.required) throw problems.malformed(`${operationId} needs a body of type ${expected.mediaTypes.join(" or ")}.`);
      return;
    }
    const declared = mediaType !== undefined && (expected.mediaTypes.includes(mediaType) || expected.mediaTypes.includes("*/*"));
    // Unparsed bytes sent to a JSON operation (e.g. multipart) are refused too, never read.
    if (!declared || (!hasBody && !streamed)) {
      throw new Problem(415, "unsupported_media_type", "Unsupported media type", `${operationId} takes ${expected.mediaTypes.join(" or ")}${mediaType ? `, not ${mediaType}` : ""}.`);
    }
  });
}
