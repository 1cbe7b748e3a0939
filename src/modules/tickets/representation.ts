import type { Ticket as TicketRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Ticket = Schemas["Ticket"];
/** What the tickets API shows its reader: the ticket with the reader's unread count (never in events). */
export type TicketForCaller = Schemas["TicketForCaller"];

/** A ticket row as read (Prisma's model omits the search vector, which it cannot represent). */
export type TicketRecord = TicketRow;

export function toTicket(row: TicketRecord): Ticket {
  return {
    id: row.id,
    number: row.number,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    type: row.type,
    channel: row.channel,
    requesterId: row.requesterId,
    assigneeId: row.assigneeId,
    groupId: row.groupId,
    tags: row.tags,
    dueAt: row.dueAt?.toISOString() ?? null,
    metadata: row.metadata as Record<string, unknown>,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    firstResponseAt: row.firstResponseAt?.toISOString() ?? null,
    solvedAt: row.solvedAt?.toISOString() ?? null,
    closedAt: row.closedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

export function toTicketForCaller(row: TicketRecord & { unreadCount: number }): TicketForCaller {
  return { ...toTicket(row), unreadCount: row.unreadCount };
}
