// Who is calling: the authenticated principal every service takes (never the request body).
import type { Role, Scope } from "./contract.ts";
import { problems } from "./problem.ts";

export interface UserPrincipal {
  kind: "user";
  tenantId: string;
  userId: string;
  role: Role;
  sessionId: string;
  /** When the access token that authenticated this principal expires (ms since the epoch), where known. */
  accessExpiresAt?: number;
  /** A chat widget visitor's token: it may call only the operations marked `x-widget`. */
  widget?: boolean;
}

/**
 * An integration calling with an API key: a principal of its own (events name the key, idempotency
 * keys and rate limits are the key's), acting with the key's role. A key has no person behind it,
 * so what it creates (a ticket's requester, a comment's author, a file's uploader) is recorded
 * under `userId`: the admin who created the key, the way a GitHub token writes as its owner.
 */
export interface ApiKeyPrincipal {
  kind: "api_key";
  tenantId: string;
  apiKeyId: string;
  /** The admin who created the key. */
  userId: string;
  /** admin or agent (never user); no more than its creator's role today. */
  role: Role;
  /** Null: everything the role allows. */
  scopes: readonly Scope[] | null;
}

/** Bearer tokens starting so are API keys (src/modules/api-keys/key-format.ts); JWTs start with `eyJ`. */
export const API_KEY_MARKER = "dkt_";

/** Anyone acting inside a tenant: a user's session or an API key. */
export type TenantPrincipal = UserPrincipal | ApiKeyPrincipal;

export interface OperatorPrincipal {
  kind: "operator";
}
export type Principal = TenantPrincipal | OperatorPrincipal;

/** How a live-stream socket authenticates: a stream ticket (browsers), or an access token sent as a subprotocol. */
export type StreamCredentials = { ticket: string } | { accessToken: string };

/** Turns a bearer token into the current user: verifies it and checks the session still stands. */
export type UserAuthenticator = (token: string) => Promise<UserPrincipal>;
/** Turns an API key into its principal: checks its format, that it stands, and its expiry. */
export type ApiKeyAuthenticator = (key: string) => Promise<ApiKeyPrincipal>;

/** Whether this principal is the user `userId` in person (an API key never is, not even its creator). */
export function isUser(principal: TenantPrincipal, userId: string): boolean {
  return principal.kind === "user" && principal.userId === userId;
}

/**
 * For services: the caller holds one of these roles. x-roles guards the HTTP routes; this guards
 * every other way in (a worker, a script), so a service never relies on the route alone.
 */
export function requireRole(principal: TenantPrincipal, allowed: readonly Role[], action: string): void {
  if (!allowed.includes(principal.role)) throw problems.forbidden(`Only ${allowed.join(" or ")} may ${action}; you are ${principal.role}.`);
}

/** For the platform service: only the operator (never a tenant's user) manages tenants. */
export function requireOperator(principal: Principal): void {
  if (principal.kind !== "operator") throw problems.forbidden("Only the platform operator manages tenants.");
}

/** The operator of an `operatorAuth` operation (the authentication hook guarantees it). */
export function operatorOf(request: { principal: Principal | null }): OperatorPrincipal {
  const principal = request.principal;
  if (principal?.kind !== "operator") throw problems.unauthorized("This operation needs the platform operator's token.");
  return principal;
}

/** The caller of a `bearerAuth` operation: a user's session or an API key (the authentication hook guarantees one). */
export function callerOf(request: { principal: Principal | null }): TenantPrincipal {
  const principal = request.principal;
  if (principal?.kind !== "user" && principal?.kind !== "api_key") throw problems.unauthorized("This operation needs an access token or an API key.");
  return principal;
}

/** The authenticated user of an operation only a person may call (`x-scopes: []`, so never an API key). */
export function userOf(request: { principal: Principal | null }): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== "user") throw problems.unauthorized("This operation needs a user's access token.");
  return principal;
}
