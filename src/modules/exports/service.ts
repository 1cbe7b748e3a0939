// Exports: every ticket the list shows, or the whole audit trail, streamed from a database cursor
// as CSV or JSON lines. The rows are selected by the tickets' and the trail's own filters and role
// rules (selectListedTickets, selectTrail), so an export never holds more than the list would show.
import { Transform, type Readable, type TransformCallback } from "node:stream";
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { streamRows } from "../../db/query-stream.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf } from "../../core/contract-types.ts";
import { exportBody, exportHeaders, exportLinesBody, type ExportDownload, type ExportFormat } from "../../core/export-format.ts";
import type { ExportSlots } from "../../core/export-slots.ts";
import { viewerOf } from "../../events/payload.ts";
import { selectListedTickets } from "../tickets/listing.ts";
import { selectTrail, type EventRow } from "../events/service.ts";
import { presentEvents } from "../events/presenter.ts";
import { EVENT_SHAPE } from "./shapes.ts";
import { TICKET_CSV_HEADER, ticketLine } from "./ticket-lines.ts";

export interface ExportServiceDeps {
  db: Database;
  pool: pg.Pool;
  slots: ExportSlots;
}

/**
 * Shows each batch of the trail's rows as the trail does (src/events/payload.ts): one query per
 * entity type per batch. The queries run in the principal's tenant scope: a stream's callbacks
 * run outside the request's.
 */
function presentBatches(db: Database, principal: TenantPrincipal): Transform {
  const viewer = viewerOf(principal);
  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform(rows: EventRow[], _encoding, done: TransformCallback) {
      tenantScope.run(principal.tenantId, () => presentEvents(db, viewer, rows)).then((events) => done(null, events), done);
    },
  });
}

export function createExportService({ db, pool, slots }: ExportServiceDeps) {
  /**
   * Takes an export slot for the stream's life and opens the cursor; throws before any byte is
   * sent. `encode` makes the body from the cursor's batches of rows.
   */
  async function download(principal: TenantPrincipal, name: string, format: ExportFormat, statement: Prisma.Sql, encode: (rows: Readable) => Readable): Promise<ExportDownload> {
    const release = slots.take(principal.tenantId);
    try {
      const rows = await streamRows(pool, { text: statement.text, values: statement.values });
      rows.once("close", release);
      return { headers: exportHeaders(format, name), body: encode(rows) };
    } catch (error) {
      release();
      throw error;
    }
  }

  return {
    tickets: async (principal: TenantPrincipal, query: QueryOf<"exportTickets">) =>
      download(principal, "tickets", query.format ?? "csv", selectListedTickets(principal, query, ticketLine(query.format ?? "csv")), (rows) =>
        exportLinesBody(query.format ?? "csv", TICKET_CSV_HEADER, rows),
      ),

    events: async (principal: TenantPrincipal, query: QueryOf<"exportEvents">) =>
      download(principal, "events", query.format ?? "csv", selectTrail(principal, query), (rows) => exportBody(query.format ?? "csv", EVENT_SHAPE, rows, presentBatches(db, principal))),
  };
}

export type ExportService = ReturnType<typeof createExportService>;
