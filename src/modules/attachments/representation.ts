import type { Attachment as AttachmentRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";
import type { PresignedRequest } from "../../storage/object-storage.ts";

export type Attachment = Schemas["Attachment"];

/** What the audit trail records: the attachment without its (short-lived) download URL. */
export function attachmentFacts(row: AttachmentRow) {
  return {
    id: row.id,
    ticketId: row.ticketId,
    commentId: row.commentId,
    uploaderId: row.uploaderId,
    filename: row.filename,
    contentType: row.contentType,
    size: row.size,
    createdAt: row.createdAt.toISOString(),
  };
}

export function toAttachment(row: AttachmentRow, download: PresignedRequest): Attachment {
  return { ...attachmentFacts(row), downloadUrl: download.url, downloadUrlExpiresAt: download.expiresAt.toISOString() };
}
