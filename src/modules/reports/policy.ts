// Who reads reports: the contract's x-roles, checked again by the service for non-HTTP callers.
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanReadReports = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "read reports");
