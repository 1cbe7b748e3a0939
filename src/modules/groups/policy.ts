// Groups: staff read them, admins manage them (the contract's x-roles, again for non-HTTP callers).
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanRead = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "see groups");
export const checkCanManage = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "manage groups");
