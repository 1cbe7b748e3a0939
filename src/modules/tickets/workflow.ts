// The status workflow, as Zendesk has it: work moves between open, pending (waiting on the
// requester) and on_hold (waiting on a third party); solved can be reopened; closed is final.
import type { TicketStatus } from "../../generated/prisma/client.ts";
import { problems } from "../../core/problem.ts";

const NEXT: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ["pending", "on_hold", "solved"],
  pending: ["open", "on_hold", "solved"],
  on_hold: ["open", "pending", "solved"],
  solved: ["open", "pending", "on_hold", "closed"],
  closed: [],
};

/** Throws the 409 that names the allowed moves. Staying put is always allowed. */
export function checkTransition(from: TicketStatus, to: TicketStatus, pointer = "/status"): void {
  if (from === to || NEXT[from].includes(to)) return;
  const allowed = NEXT[from];
  throw problems.conflict(
    "invalid_status_transition",
    `A ${from} ticket cannot become ${to}; ${allowed.length > 0 ? `allowed: ${allowed.join(", ")}` : "closed is final"}.`,
    [{ pointer, detail: allowed.length > 0 ? `must be one of: ${allowed.join(", ")}` : "cannot change: closed is final" }],
  );
}

/** The timestamps a status change sets or clears. */
export function statusTimestamps(to: TicketStatus, now: Date): { solvedAt?: Date | null; closedAt?: Date | null } {
  if (to === "solved") return { solvedAt: now };
  if (to === "closed") return { closedAt: now };
  return { solvedAt: null };
}
