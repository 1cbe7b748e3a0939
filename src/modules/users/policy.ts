// Who may see and change which user, beyond the contract's x-roles.
import { isUser, requireRole, type TenantPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import type { Role } from "../../core/contract.ts";
import { problems } from "../../core/problem.ts";

const RANK: Record<Role, number> = { user: 0, agent: 1, admin: 2 };

// The same roles as the contract's x-roles, checked again by the service for non-HTTP callers.
export const checkCanList = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "list users");
export const checkCanCreate = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "create users");
export const checkCanDeactivate = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "deactivate users");

/** A `user` sees only themselves; agents and admins see everyone in their tenant. */
export function canSee(principal: TenantPrincipal, userId: string): boolean {
  return principal.role !== "user" || isUser(principal, userId);
}

// Availability too: agents go online, away or offline themselves (admins may set anyone's).
const SELF_SERVICE_FIELDS = new Set(["name", "password", "currentPassword", "availability"]);

/** Throws the problem that explains why this change is not allowed. */
export function checkUpdate(principal: TenantPrincipal, target: { id: string; role: Role }, change: Schemas["UserUpdate"]): void {
  // An API key is never its creator "in person": it cannot change the creator's password as its own.
  const self = isUser(principal, target.id);
  if (principal.role !== "admin") {
    if (!self) throw problems.forbidden("Only admins change other users.");
    const adminOnly = Object.keys(change).filter((field) => !SELF_SERVICE_FIELDS.has(field));
    if (adminOnly.length > 0) throw problems.forbidden(`Only admins change ${adminOnly.join(", ")}.`);
  }
  if (self && change.role !== undefined && RANK[change.role] > RANK[target.role]) {
    throw problems.forbidden("Nobody raises their own role.");
  }
  if (self && change.active === false) throw problems.conflict("cannot_deactivate_self", "You cannot deactivate yourself; ask another admin.");
  if (self && change.password !== undefined && change.currentPassword === undefined) {
    throw problems.invalidField("/currentPassword", "is required to change your own password");
  }
  if (change.currentPassword !== undefined && change.password === undefined) {
    throw problems.invalidField("/password", "is required with currentPassword");
  }
}
