// What routing reads of a ticket's triage (language, sentiment, category, skills), behind one
// function so routing does not depend on how triage stores it (src/modules/triage).
//
// A new ticket is routed after its triage (`ticket.triaged`), so rules can read it. Triage runs
// as a job that calls a model, and a model can fail or be slow: so `ticket.created` also schedules
// a durable job (UNTRIAGED_JOB, ROUTING_TRIAGE_WAIT_SECONDS later) that routes the ticket without
// triage if it has not been routed by then. Whichever comes first routes; the other finds
// "routedAt" set and does nothing.
import type { Db } from "../../db/client.ts";
import { readTriage as storedTriage } from "../triage/service.ts";

export interface TriageFacts {
  language: string | null;
  sentiment: string | null;
  category: string | null;
  /** The agents' skills triage found fitting, best first (rules' `skillsAny` reads these). */
  skills: string[];
  /** Of those, what an assignee must have: the best, when triage is sure enough of it. */
  requiredSkills: string[];
}

/** The event after which a new ticket is routed. */
export const ROUTE_ON_EVENT = "ticket.triaged";
/** The job that routes a ticket whose triage has not come in time. */
export const UNTRIAGED_JOB = "routing.untriaged";
/**
 * Triage names the agents' skills that fit the ticket, best first, each with a confidence. The
 * best one becomes a required skill when triage is at least this sure of it: requiring every
 * loosely matching skill would leave tickets waiting for an agent who has them all.
 */
const SKILL_CONFIDENCE = 0.5;

/** The ticket's triage, or null when it has none (not run yet, failed, or timed out). */
export async function readTriage(db: Db, tenantId: string, ticketId: string): Promise<TriageFacts | null> {
  const row = await storedTriage(db, tenantId, ticketId);
  if (!row) return null;
  const confidence = row.confidence as { skills?: Record<string, number> } | null;
  const best = row.skills[0];
  const sure = best !== undefined && (confidence?.skills?.[best] ?? 0) >= SKILL_CONFIDENCE;
  return { language: row.language, sentiment: row.sentiment, category: row.category, skills: row.skills, requiredSkills: sure ? [best] : [] };
}
