// The append-only event log (DESIGN.md, principle 3). Callers append inside the transaction that
// makes the change, so an event exists exactly when its change committed.
import type { Db } from "../db/client.ts";
import type { TenantPrincipal } from "../core/principal.ts";
import { v7 as uuidv7 } from "uuid";
import { Prisma } from "../generated/prisma/client.ts";
import type { EventType } from "./event-types.ts";

/** Who did it: a user of the tenant, one of its API keys, the platform operator, or the system itself. */
export type Actor = { type: "user"; id: string } | { type: "api_key"; id: string } | { type: "operator" } | { type: "system" };

/** The actor a tenant's principal acts as: the user in person, or the API key (not its creator). */
export function actorOf(principal: TenantPrincipal): Actor {
  return principal.kind === "api_key" ? { type: "api_key", id: principal.apiKeyId } : { type: "user", id: principal.userId };
}

/** The context of a request made by this principal. */
export function contextOf(principal: TenantPrincipal, requestId?: string): RequestContext {
  return { actor: actorOf(principal), requestId };
}

export interface RequestContext {
  actor: Actor;
  requestId?: string;
}

export interface NewEvent {
  tenantId: string;
  type: EventType;
  entity: { type: string; id: string };
  /**
   * Field-level changes, never secrets, and never words a user can later edit or delete (comment
   * bodies): see the payload rule in payload.ts, which also decides how events are shown.
   */
  before?: object | null;
  after?: object | null;
  /** The ticket it belongs to, for the ticket's activity history. */
  ticketId?: string;
  /** Hidden from role `user`: internal comments and what happens to them. */
  internal?: boolean;
}

/** Where new events are announced at commit (by a trigger on "Event"); the feed (src/events/feed.ts) listens. */
export const EVENTS_CHANNEL = "docket_events";

/** An event's row: what appendEvent writes, and what a statement that writes its own event inserts. */
export function eventRow(context: RequestContext, event: NewEvent) {
  return {
    tenantId: event.tenantId,
    type: event.type,
    actorType: context.actor.type,
    actorId: "id" in context.actor ? context.actor.id : null,
    entityType: event.entity.type,
    entityId: event.entity.id,
    before: (event.before ?? undefined) as Prisma.InputJsonValue | undefined,
    after: (event.after ?? undefined) as Prisma.InputJsonValue | undefined,
    requestId: context.requestId ?? null,
    ticketId: event.ticketId ?? null,
    internal: event.internal ?? false,
  };
}

/**
 * The INSERT of events, for a statement that writes its own (a writable CTE beside the change they
 * record). One INSERT of several rows numbers them (seq) in the order given.
 */
export function insertEventSql(...events: ReturnType<typeof eventRow>[]): Prisma.Sql {
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  const rows = events.map(
    (event) => Prisma.sql`(${event.tenantId}::uuid, ${uuidv7()}::uuid, ${event.type}, ${event.actorType}::"ActorType", ${event.actorId}::uuid, ${event.entityType}, ${event.entityId}::uuid,
            ${json(event.before)}::jsonb, ${json(event.after)}::jsonb, ${event.requestId}, ${event.ticketId}::uuid, ${event.internal})`,
  );
  return Prisma.sql`INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", before, after, "requestId", "ticketId", internal)
    VALUES ${Prisma.join(rows, ", ")}`;
}

/** Returns the new event's id. */
export async function appendEvent(db: Db, context: RequestContext, event: NewEvent): Promise<string> {
  const { id } = await db.event.create({ data: eventRow(context, event), select: { id: true } });
  // The insert itself announces the event on EVENTS_CHANNEL at commit (trigger "Event_feedNotify").
  return id;
}

/** Only the fields that differ, for compact update events: `{ before: {role: 'agent'}, after: {role: 'admin'} }`. */
export function changedFields<T extends object>(before: T, after: T): { before: Partial<T>; after: Partial<T> } {
  const was: Partial<T> = {};
  const now: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (key === "updatedAt") continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      was[key] = before[key];
      now[key] = after[key];
    }
  }
  return { before: was, after: now };
}
