// `Cache-Control: no-store` on responses that carry a credential (tokens from signup, login and
// refresh; secrets shown once), so no browser or proxy cache keeps one. Which operations those are
// follows from the contract: a success response whose schema has a credential field.
import type { FastifyInstance } from "fastify";
import type { Contract, OperationId } from "../core/contract.ts";

const CREDENTIAL_FIELDS = new Set(["accessToken", "refreshToken", "secret"]);

interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}

function carriesCredential(schema: Schema | undefined, document: Record<string, unknown>, seen = new Set<string>()): boolean {
  if (!schema || typeof schema !== "object") return false;
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return false;
    seen.add(schema.$ref);
    const target = schema.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
    return carriesCredential(target as Schema, document, seen);
  }
  if (Object.keys(schema.properties ?? {}).some((name) => CREDENTIAL_FIELDS.has(name))) return true;
  const nested = [...Object.values(schema.properties ?? {}), schema.items, ...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  return nested.some((child) => carriesCredential(child, document, seen));
}

/** The operations with a 2xx response that carries a credential. */
export function credentialOperations(contract: Contract): Set<OperationId> {
  const document = contract.document as { paths: Record<string, Record<string, { operationId?: OperationId; responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>> };
  const found = new Set<OperationId>();
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (!operation?.operationId) continue;
      const successes = Object.entries(operation.responses ?? {}).filter(([status]) => status.startsWith("2"));
      const schemas = successes.flatMap(([, response]) => Object.values(response.content ?? {}).map((media) => media.schema));
      if (schemas.some((schema) => carriesCredential(schema, contract.document))) found.add(operation.operationId);
    }
  }
  return found;
}

export function registerNoStore(app: FastifyInstance, contract: Contract): void {
  const operations = credentialOperations(contract);
  app.addHook("onSend", async (request, reply) => {
    const operationId = request.routeOptions.config.operationId;
    if (operationId !== undefined && operations.has(operationId)) reply.header("cache-control", "no-store");
  });
}
