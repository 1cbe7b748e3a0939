import type { TicketTriage as TriageRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type TicketTriage = Schemas["TicketTriage"];
export type TriageFields = Schemas["TriageFields"];

/**
 * What the `ticket.triaged` event carries: the conclusions, not the notes or keywords, which
 * quote the ticket's words (an event never stores words a user can later edit: payload.ts).
 */
export function triageFields(row: TriageRow): TriageFields {
  return {
    language: row.language,
    sentiment: row.sentiment,
    sentimentScore: row.sentimentScore,
    category: row.category as TriageFields["category"],
    suggestedPriority: row.suggestedPriority,
    skills: row.skills,
    confidence: row.confidence as TriageFields["confidence"],
    provider: row.provider,
    model: row.model,
  };
}

export function toTriage(row: TriageRow): TicketTriage {
  return { ticketId: row.ticketId, ...triageFields(row), notes: row.notes, keywords: row.keywords, createdAt: row.createdAt.toISOString() };
}
