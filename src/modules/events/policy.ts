// Who reads the audit trail: the contract's x-roles, checked again by the service for non-HTTP callers.
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanReadTrail = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "read the audit trail");
