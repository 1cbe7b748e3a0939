// Who reads and writes the help center, beyond the contract's x-roles: admins and agents write and
// see drafts; a `user` (and the public, through the public API) sees published articles only.
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanWrite = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "write the help center");

/** Staff see drafts and the draft beside the published version. */
export function seesDrafts(principal: TenantPrincipal): boolean {
  return principal.role === "admin" || principal.role === "agent";
}
