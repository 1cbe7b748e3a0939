// Triage is for staff: the requester never sees what the model made of their words (x-roles says
// so for HTTP; this is the same rule for other callers).
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";

export const checkCanReadTriage = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "read a ticket's triage");
