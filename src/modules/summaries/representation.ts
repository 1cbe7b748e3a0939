import type { TicketSummary as SummaryRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type TicketSummary = Schemas["TicketSummary"];

export function toSummary(row: SummaryRow, stale: boolean): TicketSummary {
  return {
    ticketId: row.ticketId,
    audience: row.audience,
    summary: row.summary,
    problem: row.problem,
    actions: row.actions,
    status: row.status,
    nextStep: row.nextStep,
    entities: row.entities as TicketSummary["entities"],
    coveredEventId: row.coveredEventId,
    stale,
    provider: row.provider,
    model: row.model,
    createdAt: row.createdAt.toISOString(),
  };
}
