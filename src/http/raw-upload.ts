// Bodies of any media type, for the operations whose contract declares `*/*` (the local
// driver's presigned PUT carries the file's own type). The parser reads nothing: the handler
// streams request.raw with the limit it was signed for, so the JSON body limit does not apply and
// request.body stays undefined. Every other operation still answers 415 to a type it has no
// parser for, as before.
import type { FastifyInstance } from "fastify";
import type { Contract } from "../core/contract.ts";
import { problems } from "../core/problem.ts";

export function streamedOperations(contract: Contract): Set<string> {
  return new Set([...contract.operations.values()].filter((operation) => operation.requestBody?.mediaTypes.includes("*/*")).map((operation) => operation.operationId));
}

export function registerRawUploadParser(app: FastifyInstance, contract: Contract): void {
  const rawOperations = streamedOperations(contract);
  app.addContentTypeParser("*", (request, _payload, done) => {
    const operationId = request.routeOptions.config.operationId;
    if (operationId !== undefined && rawOperations.has(operationId)) done(null, undefined);
    else done(problems.unsupportedMediaType(request.headers["content-type"]), undefined);
  });
}
