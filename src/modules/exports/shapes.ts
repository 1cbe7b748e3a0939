// What an export shows of a ticket and of an event: the CSV columns and the JSON line. The JSON
// line is the API's own representation (a Ticket, an Event as the trail shows it), so a program
// reads an export with the SDK's types; the CSV flattens it for a spreadsheet.
import type { ExportShape } from "../../core/export-format.ts";
import type { PresentedEvent } from "../../events/payload.ts";
import { toTicket, type TicketRecord } from "../tickets/representation.ts";

const iso = (date: Date | null) => date?.toISOString() ?? null;
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export const TICKET_SHAPE: ExportShape<TicketRecord> = {
  columns: [
    { header: "id", value: (t) => t.id },
    { header: "number", value: (t) => t.number },
    { header: "title", value: (t) => t.title },
    { header: "description", value: (t) => t.description },
    { header: "status", value: (t) => t.status },
    { header: "priority", value: (t) => t.priority },
    { header: "type", value: (t) => t.type },
    { header: "channel", value: (t) => t.channel },
    { header: "requesterId", value: (t) => t.requesterId },
    { header: "assigneeId", value: (t) => t.assigneeId },
    { header: "tags", value: (t) => t.tags.join(",") },
    { header: "dueAt", value: (t) => iso(t.dueAt) },
    { header: "createdAt", value: (t) => iso(t.createdAt) },
    { header: "updatedAt", value: (t) => iso(t.updatedAt) },
    { header: "firstResponseAt", value: (t) => iso(t.firstResponseAt) },
    { header: "solvedAt", value: (t) => iso(t.solvedAt) },
    { header: "closedAt", value: (t) => iso(t.closedAt) },
    { header: "deletedAt", value: (t) => iso(t.deletedAt) },
    { header: "metadata", value: (t) => json(t.metadata) },
  ],
  json: toTicket,
};

export const EVENT_SHAPE: ExportShape<PresentedEvent> = {
  columns: [
    { header: "id", value: (e) => e.id },
    { header: "createdAt", value: (e) => e.createdAt },
    { header: "type", value: (e) => e.type },
    { header: "actorType", value: (e) => e.actor.type },
    { header: "actorId", value: (e) => e.actor.id },
    { header: "entityType", value: (e) => e.entity.type },
    { header: "entityId", value: (e) => e.entity.id },
    { header: "ticketId", value: (e) => e.ticketId },
    { header: "before", value: (e) => json(e.before) },
    { header: "after", value: (e) => json(e.after) },
  ],
  json: (event) => event,
};
