// What routing reads of a ticket's triage (language, sentiment, category, skills), behind one
// function so routing does not depend on how triage stores it. Triage is another module's work
// (the `ai-triage` branch adds the "TicketTriage" table and the `ticket.triaged` event); until it
// is merged here, no ticket has a triage and routing runs on `ticket.created`.
import type { Db } from "../../db/client.ts";

export interface TriageFacts {
  language: string | null;
  sentiment: string | null;
  category: string | null;
  /** Skills the ticket needs, as triage found them. */
  skills: string[];
}

/** The event after which a new ticket is routed: its triage's, once triage exists. */
export const ROUTE_ON_EVENT = "ticket.created";

/** The ticket's triage, or null when it has none (triage off, failed or not run yet). */
export async function readTriage(_db: Db, _tenantId: string, _ticketId: string): Promise<TriageFacts | null> {
  return null;
}
