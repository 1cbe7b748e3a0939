// Reading the event log: a ticket's activity, and the tenant's whole trail for admins.
import type { Database } from "../../db/client.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { decodeCursor, encodeCursor } from "../../core/cursor.ts";
import { problems } from "../../core/problem.ts";
import { viewerOf } from "../../events/payload.ts";
import type { FeedEvent } from "../../events/feed.ts";
import { canSee } from "../tickets/policy.ts";
import { checkCanReadTrail } from "./policy.ts";
import { presentEvents } from "./presenter.ts";

/** An Event row and its place in the log, as the readers below select it (the feed's shape). */
export type EventRow = FeedEvent;

const COLUMNS = Prisma.sql`e.id, e."tenantId", e.type, e."actorType", e."actorId", e."entityType", e."entityId", e."ticketId", e.internal, e.before, e.after, e."createdAt", e.seq, e."txId"::text AS "txId"`;

/**
 * The trail's filters as SQL conditions on `e`, behind the horizon (see trail below): what the
 * trail pages through and what its export streams.
 */
function trailConditions(principal: TenantPrincipal, query: Omit<QueryOf<"listEvents">, "limit" | "cursor">): Prisma.Sql[] {
  const where: Prisma.Sql[] = [
    Prisma.sql`e."tenantId" = ${principal.tenantId}::uuid`,
    Prisma.sql`e."txId" < pg_snapshot_xmin(pg_current_snapshot())`,
  ];
  if (query.type?.length) where.push(Prisma.sql`e.type = ANY(${query.type}::text[])`);
  if (query.actorId) where.push(Prisma.sql`e."actorId" = ${query.actorId}::uuid`);
  if (query.ticketId) where.push(Prisma.sql`e."ticketId" = ${query.ticketId}::uuid`);
  if (query.since) where.push(Prisma.sql`e."createdAt" >= ${query.since}::timestamptz`);
  if (query.until) where.push(Prisma.sql`e."createdAt" < ${query.until}::timestamptz`);
  return where;
}

/** The whole trail for these filters, in the trail's order, as one statement: what its export streams. */
export function selectTrail(principal: TenantPrincipal, query: Omit<QueryOf<"listEvents">, "limit" | "cursor">): Prisma.Sql {
  checkCanReadTrail(principal);
  return Prisma.sql`SELECT ${COLUMNS} FROM "Event" e WHERE ${Prisma.join(trailConditions(principal, query), " AND ")} ORDER BY e."txId", e.seq`;
}

export function createEventService(db: Database) {
  return {
    /** Oldest first. Internal items (internal comments) are left out for role `user`; each event carries its entity as it is now. */
    async ticketActivity(principal: TenantPrincipal, ticketId: string, query: QueryOf<"listTicketActivity">): Promise<Schemas["EventList"]> {
      const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } }, select: { requesterId: true, deletedAt: true } });
      if (!ticket || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
      const limit = query.limit ?? 25;
      const after = decodeCursor(query.cursor, ["integer"] as const);
      const rows = await db.$queryRaw<EventRow[]>`
        SELECT ${COLUMNS} FROM "Event" e
         WHERE e."tenantId" = ${principal.tenantId}::uuid AND e."ticketId" = ${ticketId}::uuid
           ${principal.role === "user" ? Prisma.sql`AND NOT e.internal` : Prisma.empty}
           ${after ? Prisma.sql`AND e.seq > ${after[0]}::bigint` : Prisma.empty}
         ORDER BY e.seq LIMIT ${limit + 1}`;
      const data = rows.slice(0, limit);
      return { data: await presentEvents(db, viewerOf(principal), data), nextCursor: rows.length > limit ? encodeCursor([String(data.at(-1)!.seq)]) : null };
    },

    /**
     * The tenant's trail in (transaction id, seq) order, showing only events of transactions older
     * than the oldest one still running. Sequence numbers are taken when a row is written, not when
     * it commits, so a reader paging by seq alone could pass a slow transaction's event before it
     * commits and never see it. Every transaction that can still commit has an id at or above
     * that horizon, so nothing can appear behind the cursor.
     */
    async trail(principal: TenantPrincipal, query: QueryOf<"listEvents">): Promise<Schemas["EventFeed"]> {
      checkCanReadTrail(principal);
      const limit = query.limit ?? 25;
      const after = decodeCursor(query.cursor, ["integer", "integer"] as const);
      const where = trailConditions(principal, query);
      if (after) where.push(Prisma.sql`(e."txId", e.seq) > (${after[0]}::xid8, ${after[1]}::bigint)`);
      const rows = await db.$queryRaw<EventRow[]>`
        SELECT ${COLUMNS} FROM "Event" e WHERE ${Prisma.join(where, " AND ")} ORDER BY e."txId", e.seq LIMIT ${limit + 1}`;
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      // A feed: the cursor always marks the position after what was returned, so pollers resume.
      return { data: await presentEvents(db, viewerOf(principal), data), nextCursor: last ? encodeCursor([last.txId, String(last.seq)]) : (query.cursor ?? null), hasMore: rows.length > limit };
    },
  };
}

export type EventService = ReturnType<typeof createEventService>;
