// QA is staff business: agents and admins request and read reviews; admins are the reviewers who
// approve or reject them (the contract's x-roles, checked again here for non-HTTP callers).
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanUseQa = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "use QA reviews");
export const checkCanDecide = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "approve or reject QA reviews");
