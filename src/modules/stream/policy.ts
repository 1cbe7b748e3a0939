// Who may follow what on the live stream: exactly REST's rules. The tenant's feed is for staff
// (admins get every event, as in GET /v1/events; agents every ticket's events, as in each
// ticket's activity); a ticket for anyone who may see it (tickets/policy.ts); what each event
// shows is the presenter's business (src/events/payload.ts), as for webhooks.
import type { UserPrincipal } from "../../core/principal.ts";
import { canSee } from "../tickets/policy.ts";

export { canSee as canSeeTicket };

export function canFollowTenant(principal: UserPrincipal): boolean {
  return principal.role === "admin" || principal.role === "agent";
}

/** On the tenant feed: admins see the whole trail, agents the events of tickets. */
export function feedShows(principal: UserPrincipal, event: { ticketId: string | null }): boolean {
  return principal.role === "admin" || event.ticketId !== null;
}

/** An event after which some subscriber may no longer see its ticket (a new requester, a deletion). */
export function mayHideTicket(event: { type: string; after: unknown }): boolean {
  if (event.type === "ticket.deleted") return true;
  return event.type.startsWith("ticket.") && typeof event.after === "object" && event.after !== null && "requesterId" in event.after;
}

/** Presented once per viewer class: a user's view is their own, staff of one role see alike. */
export function viewerClass(principal: UserPrincipal): string {
  return principal.role === "user" ? `user:${principal.userId}` : principal.role;
}
