// Who manages keys, and what a key may be: a role no higher than its creator's (and never `user`),
// and scopes its role can use. Scopes per role come from the contract (x-roles and x-scopes of
// each operation), so a new operation widens or narrows them without a change here.
import type { OperationInfo, Role, Scope } from "../../core/contract.ts";
import { requireRole, type TenantPrincipal, type UserPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";

const RANK: Record<Role, number> = { user: 0, agent: 1, admin: 2 };

/** Only an admin in person: a key that could mint keys would outlive its own revocation. */
export function checkCanManage(principal: TenantPrincipal): asserts principal is UserPrincipal {
  if (principal.kind !== "user") throw problems.forbidden("API keys are managed with a user's access token, never with an API key.");
  requireRole(principal, ["admin"], "manage API keys");
}

/** For each role, the scopes of the operations it may call. */
export function scopesByRole(operations: Iterable<OperationInfo>): Record<Role, ReadonlySet<Scope>> {
  const byRole: Record<Role, Set<Scope>> = { admin: new Set(), agent: new Set(), user: new Set() };
  for (const operation of operations) for (const role of operation.roles) for (const scope of operation.scopes) byRole[role].add(scope);
  return byRole;
}

export function checkScopes(role: Role, scopes: readonly Scope[], allowed: Record<Role, ReadonlySet<Scope>>): void {
  scopes.forEach((scope, index) => {
    if (!allowed[role].has(scope)) throw problems.invalidField(`/scopes/${index}`, `${scope} is beyond the ${role} role: no operation it opens is open to ${role}s`);
  });
}

/** What a key acts as today: its own role, capped by its creator's current one (demoting the admin demotes their keys). */
export function effectiveRole(keyRole: Role, creatorRole: Role): Role {
  return RANK[keyRole] <= RANK[creatorRole] ? keyRole : creatorRole;
}
