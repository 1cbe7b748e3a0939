// Who is calling: the authenticated principal every service takes (never the request body).
import type { Role } from "./contract.ts";
import { problems } from "./problem.ts";

export interface UserPrincipal {
  kind: "user";
  tenantId: string;
  userId: string;
  role: Role;
  sessionId: string;
  /** When the access token that authenticated this principal expires (ms since the epoch), where known. */
  accessExpiresAt?: number;
}
export interface OperatorPrincipal {
  kind: "operator";
}
export type Principal = UserPrincipal | OperatorPrincipal;

/** How a live-stream socket authenticates: a stream ticket (browsers), or an access token sent as a subprotocol. */
export type StreamCredentials = { ticket: string } | { accessToken: string };

/** Turns a bearer token into the current user: verifies it and checks the session still stands. */
export type UserAuthenticator = (token: string) => Promise<UserPrincipal>;

/**
 * For services: the caller holds one of these roles. x-roles guards the HTTP routes; this guards
 * every other way in (a worker, a script), so a service never relies on the route alone.
 */
export function requireRole(principal: UserPrincipal, allowed: readonly Role[], action: string): void {
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

/** The authenticated user of a `bearerAuth` operation (the authentication hook guarantees there is one). */
export function userOf(request: { principal: Principal | null }): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== "user") throw problems.unauthorized("This operation needs a user's access token.");
  return principal;
}
