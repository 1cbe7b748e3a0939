// The contract (openapi.yaml) loaded once: the document itself, served raw and to Swagger UI, and
// per-operation facts the cross-cutting hooks need (who may call it, how it authenticates).
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { operations } from "../../sdk/schema.ts";

export const CONTRACT_PATH = path.resolve(import.meta.dirname, "../../openapi.yaml");
/** The contract as JSON, written by `npm run generate` (scripts/contract-json.ts). */
export const CONTRACT_JSON_PATH = path.resolve(import.meta.dirname, "../generated/openapi.json");

/** The generated copy, with the hash of the YAML text it was made from. */
export interface ContractJson {
  sourceSha256: string;
  document: Record<string, unknown>;
}

export const contractSourceHash = (yaml: string): string => createHash("sha256").update(yaml).digest("hex");

/**
 * The document, from the generated JSON when it was made from this very text: parsing the YAML
 * costs 0.7 s of CPU and leaves about 25 MiB of resident memory behind. An edited openapi.yaml
 * not yet regenerated is parsed as YAML, so the server never serves a stale contract.
 */
function parseContract(yaml: string, file: string): Record<string, unknown> {
  if (file === CONTRACT_PATH) {
    try {
      const copy = JSON.parse(fs.readFileSync(CONTRACT_JSON_PATH, "utf8")) as ContractJson;
      if (copy.sourceSha256 === contractSourceHash(yaml)) return copy.document;
    } catch {
      // not generated yet: the YAML below
    }
  }
  const YAML = createRequire(import.meta.url)("yaml") as typeof import("yaml");
  return YAML.parse(yaml) as Record<string, unknown>;
}

export type OperationId = keyof operations;
export type Role = "admin" | "agent" | "user";
export const ROLES: readonly Role[] = ["admin", "agent", "user"];
/** What an API key may do (the contract's ApiKeyScope enum, e.g. `tickets:read`). */
export type Scope = string;

/** How an operation authenticates, from its `security` requirement. */
/** `stream`: the WebSocket, by stream ticket (query) or access token (subprotocol), with the roles of `x-roles`. */
export type Authentication = "public" | "user" | "operator" | "metrics" | "stream";

export interface OperationInfo {
  operationId: OperationId;
  method: string;
  path: string;
  authentication: Authentication;
  /** From `x-roles`; only for `user` and `stream` operations. */
  roles: readonly Role[];
  /**
   * From `x-scopes`; only for `user` operations: the scopes an API key with scopes needs to call
   * it. Empty: API keys may not call it at all (a user's access token only).
   */
  scopes: readonly Scope[];
  /** From `x-widget`: a chat widget visitor's token may call it (no other operation). */
  widget: boolean;
  /** The media types its requestBody declares, and whether a body is required. */
  requestBody: { required: boolean; mediaTypes: readonly string[] } | undefined;
}

export interface Contract {
  document: Record<string, unknown>;
  yaml: string;
  json: string;
  operations: ReadonlyMap<OperationId, OperationInfo>;
  /** Every scope (the ApiKeyScope enum), in the contract's order. */
  scopes: readonly Scope[];
}

type SecurityRequirement = Record<string, string[]>;
const HTTP_METHODS = new Set(["get", "put", "post", "delete", "patch", "head", "options"]);

function authenticationOf(security: SecurityRequirement[], where: string): Authentication {
  if (security.length === 0) return "public";
  const schemes = new Set(security.flatMap((requirement) => Object.keys(requirement)));
  if (schemes.size === 1 && schemes.has("bearerAuth")) return "user";
  if (schemes.size === 1 && schemes.has("operatorAuth")) return "operator";
  if (schemes.size === 1 && schemes.has("metricsAuth")) return "metrics";
  if (schemes.size === 2 && schemes.has("streamTicket") && schemes.has("streamBearerProtocol")) return "stream";
  throw new Error(`${where}: unsupported security ${JSON.stringify(security)}`);
}

export function loadContract(file = CONTRACT_PATH): Contract {
  const yaml = fs.readFileSync(file, "utf8");
  const document = parseContract(yaml, file) as {
    security?: SecurityRequirement[];
    paths: Record<
      string,
      Record<
        string,
        { operationId?: string; security?: SecurityRequirement[]; "x-roles"?: Role[]; "x-scopes"?: Scope[]; "x-widget"?: boolean; requestBody?: { required?: boolean; content?: Record<string, unknown> } }
      >
    >;
    components?: { schemas?: { ApiKeyScope?: { enum?: Scope[] } } };
  };
  const scopes = document.components?.schemas?.ApiKeyScope?.enum ?? [];
  const operationsById = new Map<OperationId, OperationInfo>();
  for (const [urlPath, pathItem] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem)) {
      if (!HTTP_METHODS.has(method)) continue;
      const where = `${method.toUpperCase()} ${urlPath}`;
      if (!operation.operationId) throw new Error(`${where} has no operationId`);
      const authentication = authenticationOf(operation.security ?? document.security ?? [], where);
      const roles = operation["x-roles"] ?? [];
      if ((authentication === "user" || authentication === "stream") && roles.length === 0) throw new Error(`${where} needs x-roles`);
      if (roles.some((role) => !ROLES.includes(role))) throw new Error(`${where}: unknown role in x-roles`);
      const operationScopes = operation["x-scopes"];
      if (authentication === "user" && operationScopes === undefined) throw new Error(`${where} needs x-scopes ([] when API keys may not call it)`);
      const unknownScope = operationScopes?.find((scope) => !scopes.includes(scope));
      if (unknownScope !== undefined) throw new Error(`${where}: x-scopes names ${unknownScope}, which is not in components.schemas.ApiKeyScope`);
      operationsById.set(operation.operationId as OperationId, {
        operationId: operation.operationId as OperationId,
        method: method.toUpperCase(),
        path: urlPath,
        authentication,
        roles,
        scopes: operationScopes ?? [],
        widget: operation["x-widget"] === true,
        requestBody: operation.requestBody
          ? { required: operation.requestBody.required ?? false, mediaTypes: Object.keys(operation.requestBody.content ?? {}) }
          : undefined,
      });
    }
  }
  return { document, yaml, json: JSON.stringify(document), operations: operationsById, scopes };
}
