// Exports: every ticket the list shows, or the whole audit trail, streamed from a database cursor
// as CSV or JSON lines. The rows are selected by the tickets' and the trail's own filters and role
// rules (selectListedTickets, selectTrail), so an export never holds more than the list would show.
import { Transform, type TransformCallback } from "node:stream";
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { streamRows } from "../../db/query-stream.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf } from "../../core/contract-types.ts";
import { exportBody, exportHeaders, type ExportDownload, type ExportFormat, type ExportShape } from "../../core/export-format.ts";
import type { ExportSlots } from "../../core/export-slots.ts";
import { viewerOf } from "../../events/payload.ts";
import { selectListedTickets } from "../tickets/listing.ts";
import { selectTrail, type EventRow } from "../events/service.ts";
import { presentEvents } from "../events/presenter.ts";
import { EVENT_SHAPE, TICKET_SHAPE } from "./shapes.ts";

/** Events presented per batch: one query per entity type per batch, not per event. */
const PRESENT_BATCH = 500;

export interface ExportServiceDeps {
  db: Database;
  pool: pg.Pool;
  slots: ExportSlots;
}

/**
 * Shows the trail's rows as the trail does (src/events/payload.ts), a batch at a time. The batch's
 * queries run in the principal's tenant scope: a stream's callbacks run outside the request's.
 */
function presentInBatches(db: Database, principal: TenantPrincipal): Transform {
  const viewer = viewerOf(principal);
  let batch: EventRow[] = [];
  const present = async (stream: Transform) => {
    const rows = batch;
    batch = [];
    if (rows.length === 0) return;
    for (const event of await tenantScope.run(principal.tenantId, () => presentEvents(db, viewer, rows))) stream.push(event);
  };
  return new Transform({
    objectMode: true,
    transform(row: EventRow, _encoding, done: TransformCallback) {
      batch.push(row);
      if (batch.length < PRESENT_BATCH) return done();
      present(this).then(() => done(), done);
    },
    flush(done: TransformCallback) {
      present(this).then(() => done(), done);
    },
  });
}

export function createExportService({ db, pool, slots }: ExportServiceDeps) {
  /** Takes an export slot for the stream's life and opens the cursor; throws before any byte is sent. */
  async function download<T>(principal: TenantPrincipal, name: string, format: ExportFormat, statement: Prisma.Sql, shape: ExportShape<T>, preparation: Transform[] = []): Promise<ExportDownload> {
    const release = slots.take(principal.tenantId);
    try {
      const rows = await streamRows(pool, { text: statement.text, values: statement.values });
      rows.once("close", release);
      return { headers: exportHeaders(format, name), body: exportBody(format, shape, rows, ...preparation) };
    } catch (error) {
      release();
      throw error;
    }
  }

  return {
    tickets: async (principal: TenantPrincipal, query: QueryOf<"exportTickets">) =>
      download(principal, "tickets", query.format ?? "csv", selectListedTickets(principal, query), TICKET_SHAPE),

    events: async (principal: TenantPrincipal, query: QueryOf<"exportEvents">) =>
      download(principal, "events", query.format ?? "csv", selectTrail(principal, query), EVENT_SHAPE, [presentInBatches(db, principal)]),
  };
}

export type ExportService = ReturnType<typeof createExportService>;
