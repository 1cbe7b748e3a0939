// Who sees and changes which ticket, beyond the contract's x-roles. Every denial of a ticket the
// caller may not see is a 404, exactly like a missing one.
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import type { TicketRecord } from "./representation.ts";

// The same roles as the contract's x-roles, checked again by the service for non-HTTP callers.
export const checkCanDelete = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "delete tickets");
export const checkCanRestore = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "restore tickets");
export const checkCanBulkUpdate = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "change tickets in bulk");
export const checkCanReadStats = (principal: TenantPrincipal) => requireRole(principal, ["admin", "agent"], "read ticket stats");

/** Agents and admins see every live ticket of the tenant; a `user` only those they requested. */
export function canSee(principal: TenantPrincipal, ticket: Pick<TicketRecord, "requesterId" | "deletedAt">): boolean {
  if (ticket.deletedAt) return principal.role === "admin";
  return principal.role !== "user" || ticket.requesterId === principal.userId;
}

const AGENT_ONLY_ON_CREATE = ["requesterId", "assigneeId", "groupId", "status"] as const;

export function checkCreate(principal: TenantPrincipal, input: Schemas["TicketCreate"]): void {
  if (principal.role !== "user") return;
  for (const field of AGENT_ONLY_ON_CREATE) {
    if (input[field] !== undefined && !(field === "requesterId" && input.requesterId === principal.userId)) {
      throw problems.forbidden(`Only agents and admins set ${field} on a new ticket.`);
    }
  }
}

/** A `user` may solve or reopen their own ticket, and nothing else. */
export function checkUpdate(principal: TenantPrincipal, change: Schemas["TicketUpdate"]): void {
  if (principal.role !== "user") return;
  const fields = Object.keys(change);
  if (fields.some((field) => field !== "status") || (change.status !== "solved" && change.status !== "open")) {
    throw problems.forbidden("On your own tickets you may only set status to solved or open.");
  }
}
