// Reading a ticket's triage (written by the triage job, src/modules/triage/job.ts).
import type { Db } from "../../db/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import type { TicketTriage as TriageRow } from "../../generated/prisma/client.ts";
import { checkCanReadTriage } from "./policy.ts";
import { toTriage, type TicketTriage } from "./representation.ts";

/** The stored triage of a ticket, or null before the job has run: for other modules (routing), in the caller's transaction. */
export async function readTriage(db: Db, tenantId: string, ticketId: string): Promise<TriageRow | null> {
  return db.ticketTriage.findUnique({ where: { tenantId_ticketId: { tenantId, ticketId } } });
}

export function createTriageService(db: Db) {
  return {
    async get(principal: TenantPrincipal, ticketId: string): Promise<TicketTriage> {
      checkCanReadTriage(principal);
      const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, select: { deletedAt: true } });
      if (!ticket || (ticket.deletedAt && principal.role !== "admin")) throw problems.notFound("ticket", ticketId);
      const row = await readTriage(db, principal.tenantId, ticketId);
      if (!row) throw problems.notFound("triage for ticket", ticketId);
      return toTriage(row);
    },
  };
}

export type TriageService = ReturnType<typeof createTriageService>;
