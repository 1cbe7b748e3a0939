// Who changes the tenant's own name and settings: the contract's x-roles, checked again by the
// service for callers that never pass through HTTP.
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanUpdate = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "change the organisation's settings");
