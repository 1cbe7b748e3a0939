// The public shape of an API key: never its secret (shown once, by create) nor its hash.
import type { Schemas } from "../../core/contract-types.ts";
import type { ApiKey as ApiKeyRow } from "../../generated/prisma/client.ts";

export type ApiKey = Schemas["ApiKey"];

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as ApiKey["role"],
    scopes: row.scopes.length > 0 ? (row.scopes as ApiKey["scopes"]) : null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdBy: row.createdById,
    createdAt: row.createdAt.toISOString(),
  };
}
