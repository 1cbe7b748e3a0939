// Bodies are validated per media type, so a body of a type the operation does not declare would
// reach its handler unvalidated. This hook makes the contract's requestBody the only door:
// another media type is a 415, a missing required body a 400, and a body where none is expected
// a 400.
import type { FastifyInstance } from "fastify";
import type { Contract } from "./contract.ts";
import { Problem, problems } from "./problem.ts";

function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(";")[0]?.trim().toLowerCase() || undefined;
}

export function registerRequestBodyCheck(app: FastifyInstance, contract: Contract): void {
  app.addHook("preValidation", async (request) => {
    const operationId = request.routeOptions.config.operationId;
    if (operationId === undefined) return;
    const expected = contract.operations.get(operationId)?.requestBody;
    const mediaType = mediaTypeOf(request.headers["content-type"]);
    const hasBody = request.body !== undefined && request.body !== null;
    if (!expected) {
      if (hasBody) throw new Problem(400, "unexpected_body", "Unexpected body", `${operationId} takes no request body.`);
      return;
    }
    if (!hasBody) {
      if (expected.required) throw problems.malformed(`${operationId} needs a body of type ${expected.mediaTypes.join(" or ")}.`);
      return;
    }
    if (mediaType === undefined || !expected.mediaTypes.includes(mediaType)) {
      throw new Problem(415, "unsupported_media_type", "Unsupported media type", `${operationId} takes ${expected.mediaTypes.join(" or ")}${mediaType ? `, not ${mediaType}` : ""}.`);
    }
  });
}
