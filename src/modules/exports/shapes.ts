// What an export of the trail shows of an event: the CSV columns and the JSON line. The JSON line
// is the API's own representation (an Event as the trail shows it), so a program reads an export
// with the SDK's types; the CSV flattens it for a spreadsheet. (A ticket export's lines are written
// by the database: ticket-lines.ts.)
import type { ExportShape } from "../../core/export-format.ts";
import type { PresentedEvent } from "../../events/payload.ts";

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

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
