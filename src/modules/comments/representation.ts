import type { Comment as CommentRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Comment = Schemas["Comment"];

/** A deleted comment keeps its place in the thread, without its words. */
export function toComment(row: CommentRow): Comment {
  return {
    id: row.id,
    ticketId: row.ticketId,
    parentId: row.parentId,
    authorId: row.authorId,
    body: row.deletedAt ? "" : row.body,
    internal: row.internal,
    deleted: row.deletedAt !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    editedAt: row.editedAt?.toISOString() ?? null,
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}
