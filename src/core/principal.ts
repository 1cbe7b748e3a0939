// Who is calling: the authenticated principal every service takes (never the request body).
import type { Role } from "./contract.ts";
import { problems } from "./problem.ts";

export interface UserPrincipal {
  kind: "user";
  tenantId: string;
  userId: string;
  role: Role;
  sessionId: string;
}
export interface OperatorPrincipal {
  kind: "operator";
}
export type Principal = UserPrincipal | OperatorPrincipal;

/** Turns a bearer token into the current user: verifies it and checks the session still stands. */
export type UserAuthenticator = (token: string) => Promise<UserPrincipal>;

/** The authenticated user of a `bearerAuth` operation (the authentication hook guarantees there is one). */
export function userOf(request: { principal: Principal | null }): UserPrincipal {
  const principal = request.principal;
  if (principal?.kind !== "user") throw problems.unauthorized("This operation needs a user's access token.");
  return principal;
}
