// The event payload rule, for every door the event log opens: a ticket's activity, the audit
// trail, webhooks, live updates and notifications.
//
// 1. An event row never stores words a user can later edit or delete. Comment events store ids and
//    flags (commentFacts), and comment.updated names the fields that changed, not their text.
//    Attachment events store what describes the file (id, name, type, size; never a URL). Ticket
//    events keep field-level before/after of ticket fields, the ticket's audit history as in
//    Zendesk; ticket.deleted records the deletion, not a copy of the ticket.
// 2. Showing an event reads its entity as it is now ("hydrates" it into `data`), through the
//    entity's own representation and only if the viewer may see it: a deleted comment shows as
//    deleted with an empty body, an edited one with its current body, a gone or hidden one as null.
//    So a deletion or an edit takes the old words out of every door at once.
// 3. Events about internal things (internal comments and their attachments) never reach role
//    `user`. Which other events a viewer may receive (tickets they may see) is the caller's choice.
import type { Db } from "../db/client.ts";
import type { Role } from "../core/contract.ts";
import type { Schemas } from "../core/contract-types.ts";
import type { TenantPrincipal } from "../core/principal.ts";

/** Who an event is shown to: a user of the tenant, or an integration (webhook, export) that sees what an admin sees. */
export type EventViewer = { kind: "user"; tenantId: string; userId: string; role: Role } | { kind: "integration"; tenantId: string };

/** An Event row as the readers select it. */
export interface EventRecord {
  id: string;
  tenantId: string;
  type: string;
  actorType: "user" | "api_key" | "operator" | "system";
  actorId: string | null;
  entityType: string;
  entityId: string;
  ticketId: string | null;
  internal: boolean;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

export type PresentedEvent = Schemas["Event"];

/**
 * Reads the current representation of entities of one type, in one query: the ids the viewer may
 * see and that still exist map to their representation; any other id is left out.
 */
export type EntityReader = (db: Db, viewer: EventViewer, ids: readonly string[]) => Promise<Map<string, EventEntity>>;
export type EventEntity = NonNullable<PresentedEvent["data"]>;

/** Presents stored events to a viewer (see the rule above). Rows of another tenant are dropped. */
export type EventPresenter = (db: Db, viewer: EventViewer, rows: readonly EventRecord[]) => Promise<PresentedEvent[]>;

export function viewerOf(principal: TenantPrincipal): EventViewer {
  return { kind: "user", tenantId: principal.tenantId, userId: principal.userId, role: principal.role };
}

/** What role a viewer's visibility follows: an integration sees what an admin sees. */
export function roleOf(viewer: EventViewer): Role {
  return viewer.kind === "integration" ? "admin" : viewer.role;
}

/** Builds the presenter from one reader per entity type (the modules that own those entities provide them). */
export function createEventPresenter(readers: Readonly<Record<string, EntityReader>>): EventPresenter {
  return async (db, viewer, rows) => {
    const shown = rows.filter((row) => row.tenantId === viewer.tenantId && !(row.internal && roleOf(viewer) === "user"));
    const idsByType = new Map<string, Set<string>>();
    for (const row of shown) {
      if (!readers[row.entityType]) continue;
      const ids = idsByType.get(row.entityType) ?? new Set<string>();
      ids.add(row.entityId);
      idsByType.set(row.entityType, ids);
    }
    const current = new Map<string, Map<string, EventEntity>>();
    await Promise.all(
      [...idsByType].map(async ([type, ids]) => {
        current.set(type, await readers[type]!(db, viewer, [...ids]));
      }),
    );
    return shown.map((row) => ({
      id: row.id,
      type: row.type,
      actor: { type: row.actorType, id: row.actorId },
      entity: { type: row.entityType, id: row.entityId },
      ticketId: row.ticketId,
      before: (row.before ?? null) as PresentedEvent["before"],
      after: (row.after ?? null) as PresentedEvent["after"],
      data: current.get(row.entityType)?.get(row.entityId) ?? null,
      createdAt: row.createdAt.toISOString(),
    }));
  };
}

/** What a comment event stores about its comment: ids and flags, never the body. */
export function commentFacts(comment: { id: string; ticketId: string; parentId: string | null; authorId: string; internal: boolean }) {
  return { commentId: comment.id, ticketId: comment.ticketId, parentId: comment.parentId, authorId: comment.authorId, internal: comment.internal };
}

/** What a webhook delivery carries (Standard Webhooks): the type, when it happened, the presented event. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: PresentedEvent;
}

export function webhookPayload(event: PresentedEvent): WebhookPayload {
  return { type: event.type, timestamp: event.createdAt, data: event };
}
