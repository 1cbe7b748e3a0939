// Attachments on tickets and comments. Two ways in, one result:
// - presigned: upload-url hands out a URL to the store (S3, or the local driver's signed route),
//   the client sends the bytes there, and register checks the object (exists, exact size, type
//   from its first bytes) before recording it;
// - through the API: multipart files streamed to the store, typed from their first bytes.
// Reads hand out short-lived download URLs; the ticket's visibility rules apply throughout, and
// every change appends its event in the same transaction.
import crypto from "node:crypto";
import { Readable } from "node:stream";
import type { AttachmentLimits } from "../../config.ts";
import type { Database, Db } from "../../db/client.ts";
import type { Attachment as AttachmentRow, AttachmentUpload as AttachmentUploadRow, Prisma } from "../../generated/prisma/client.ts";
import { appendEvent } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { Problem, problems } from "../../core/problem.ts";
import type { Logger } from "../../logger.ts";
import { attachmentKey, attachmentKeyOfUpload, isUploadKey, uploadKey } from "../../storage/object-key.ts";
import type { ObjectStorage, Origin } from "../../storage/object-storage.ts";
import { canSeeComment } from "../comments/policy.ts";
import { canSee } from "../tickets/policy.ts";
import { contextOf } from "../../events/event-log.ts";
import { cleanFilename, detectContentType, fits, resolveContentType, SNIFF_BYTES } from "./content-type.ts";
import { checkSize, checkType, MAX_FILES_PER_REQUEST, tenantLimits, type TenantAttachmentLimits } from "./limits.ts";
import { canSeeAttachment, checkCanDelete } from "./policy.ts";
import { attachmentFacts, toAttachment, type Attachment } from "./representation.ts";

/** A file part of a multipart request, as the HTTP layer hands it over (bytes not read yet). */
export interface IncomingFile {
  filename: string;
  /** The part's Content-Type: a hint, checked against the bytes. */
  declaredType: string;
  stream: AsyncIterable<Buffer>;
}

/** A file in the store, not yet recorded (see storeIncoming). */
export interface StoredFile {
  id: string;
  storageKey: string;
  filename: string;
  contentType: string;
  size: number;
}

/** Opens the multipart files with the tenant's limits (the HTTP layer enforces them while parsing). */
export type OpenFiles = (limits: { maxFileBytes: number; maxFiles: number }) => AsyncIterable<IncomingFile>;

export interface AttachmentServiceDeps {
  db: Database;
  /** Across tenants, for the sweeper of expired uploads (a worker: no tenant in scope). */
  system: Database;
  storage: ObjectStorage;
  limits: AttachmentLimits;
  logger: Logger;
}

// Registration moves and checks the object while it holds the upload row (an S3 copy, a HEAD
// and a ranged GET): more than Prisma's default 5 s may pass on a slow store.
const REGISTRATION_TIMEOUT_MS = 30_000;

const WITH_COMMENT = { comment: { select: { internal: true } } } as const;

export function createAttachmentService({ db, system, storage, limits, logger }: AttachmentServiceDeps) {
  async function visibleTicket(tx: Db, principal: TenantPrincipal, ticketId: string) {
    const ticket = await tx.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } } });
    if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
    return ticket;
  }

  /** The comment files are attached to: one of this ticket that the caller may see. */
  async function checkComment(tx: Db, principal: TenantPrincipal, ticketId: string, commentId: string | undefined, where: { pointer?: string; parameter?: string }) {
    if (commentId === undefined) return null;
    const comment = await tx.comment.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: commentId } } });
    if (!comment || comment.ticketId !== ticketId || comment.deletedAt || !canSeeComment(principal, comment)) {
      const detail = "is not a comment of this ticket";
      throw where.pointer ? problems.invalidField(where.pointer, detail) : problems.invalidParameter(where.parameter!, detail);
    }
    return comment;
  }

  async function present(row: AttachmentRow, origin: Origin): Promise<Attachment> {
    const download = await storage.presignDownload(row.storageKey, { filename: row.filename, contentType: row.contentType, expiresInSeconds: limits.downloadUrlTtlSeconds }, origin);
    return toAttachment(row, download);
  }

  async function record(tx: Db, principal: TenantPrincipal, data: Prisma.AttachmentUncheckedCreateInput, internal: boolean, requestId: string | undefined): Promise<AttachmentRow> {
    const row = await tx.attachment.create({ data });
    await appendEvent(tx, contextOf(principal, requestId), {
      tenantId: principal.tenantId,
      type: "attachment.created",
      entity: { type: "attachment", id: row.id },
      ticketId: row.ticketId,
      internal,
      after: attachmentFacts(row),
    });
    return row;
  }

  /** Best effort: an object left behind by a failure is garbage, not a correctness problem. */
  async function discard(keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => storage.remove(key).catch((error: unknown) => logger.warn({ err: error, key }, "could not delete an attachment object"))));
  }

  /** The object at `key` is the upload as declared: its size, stored type and first bytes. */
  async function checkArrived(upload: AttachmentUploadRow, key: string): Promise<void> {
    const object = await storage.head(key);
    if (!object) throw problems.uploadNotReceived(upload.id);
    const mismatch =
      object.size !== upload.size
        ? `${upload.filename} was declared as ${upload.size} bytes, but ${object.size} arrived.`
        : object.contentType !== undefined && object.contentType.split(";")[0]!.trim().toLowerCase() !== upload.contentType
          ? `${upload.filename} was declared as ${upload.contentType}, but was stored as ${object.contentType}.`
          : undefined;
    const detected = mismatch ? undefined : await detectContentType(await storage.readStart(key, SNIFF_BYTES));
    if (mismatch || !fits(upload.contentType, detected!)) {
      // Refused for good: the bytes go, and the client asks for a new URL with the truth.
      await discard([key]);
      throw problems.attachmentContentMismatch(mismatch ?? `${upload.filename} was declared as ${upload.contentType}, but its content is ${detected === "text" ? "text" : detected}.`);
    }
  }

  /** Reads a file's first bytes, then yields them and the rest, failing once it exceeds the limit. */
  async function peek(file: IncomingFile, maxBytes: number): Promise<{ head: Buffer; body: Readable; bytesRead: () => number }> {
    const iterator = file.stream[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    let headLength = 0;
    let done = false;
    while (headLength < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        done = true;
        break;
      }
      chunks.push(next.value);
      headLength += next.value.length;
    }
    const head = Buffer.concat(chunks);
    if (head.length > maxBytes) throw problems.attachmentTooLarge(maxBytes);
    let size = head.length;
    async function* rest() {
      yield head;
      if (done) return;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        size += next.value.length;
        if (size > maxBytes) throw problems.attachmentTooLarge(maxBytes);
        yield next.value;
      }
    }
    return { head, body: Readable.from(rest(), { objectMode: false }), bytesRead: () => size };
  }

  /** Streams one file to the store under a new key; the type comes from its first bytes. */
  async function store(principal: TenantPrincipal, ticketId: string, file: IncomingFile, tenant: TenantAttachmentLimits, stored: string[]): Promise<StoredFile> {
    const filename = cleanFilename(file.filename);
    const { head, body, bytesRead } = await peek(file, tenant.maxBytes);
    if (head.length === 0) throw problems.malformed(`${filename} is empty.`);
    const detected = await detectContentType(head);
    const contentType = resolveContentType(file.declaredType, filename, detected);
    if (contentType === undefined) {
      throw problems.attachmentContentMismatch(`${filename} was sent as ${file.declaredType}, but its content is ${detected === "text" ? "text" : detected}.`);
    }
    checkType(tenant, contentType);
    const id = crypto.randomUUID();
    const key = attachmentKey(principal.tenantId, ticketId, id);
    stored.push(key);
    await storage.write(key, body, contentType);
    return { id, storageKey: key, filename, contentType, size: bytesRead() };
  }

  return {
    async presignUpload(principal: TenantPrincipal, ticketId: string, input: Schemas["AttachmentUploadRequest"], origin: Origin): Promise<Schemas["AttachmentUploadUrl"]> {
      await visibleTicket(db, principal, ticketId);
      const tenant = await tenantLimits(db, principal.tenantId, limits);
      const contentType = input.contentType.toLowerCase();
      checkType(tenant, contentType);
      checkSize(tenant, input.size);
      const id = crypto.randomUUID();
      const key = uploadKey(principal.tenantId, ticketId, id);
      const request = await storage.presignUpload(key, { contentType, size: input.size, expiresInSeconds: limits.uploadUrlTtlSeconds }, origin);
      // Registration stays open one more URL lifetime after the URL expires, for an upload that
      // started just in time; then the sweeper deletes what was never registered.
      const registerBy = new Date(request.expiresAt.getTime() + limits.uploadUrlTtlSeconds * 1000);
      await db.attachmentUpload.create({
        data: { tenantId: principal.tenantId, id, ticketId, uploaderId: principal.userId, storageKey: key, filename: cleanFilename(input.filename), contentType, size: input.size, expiresAt: registerBy },
      });
      return { uploadId: id, url: request.url, method: "PUT", headers: request.headers, expiresAt: request.expiresAt.toISOString() };
    },

    async register(principal: TenantPrincipal, ticketId: string, input: Schemas["AttachmentRegistration"], origin: Origin, requestId?: string): Promise<Attachment> {
      await visibleTicket(db, principal, ticketId);
      const tenantId = principal.tenantId;
      const upload = await db.attachmentUpload.findUnique({ where: { tenantId_id: { tenantId, id: input.uploadId } } });
      if (!upload || upload.ticketId !== ticketId || upload.uploaderId !== principal.userId) {
        // Registered already (a retry): answer the attachment again.
        const existing = await db.attachment.findUnique({ where: { tenantId_id: { tenantId, id: input.uploadId } }, include: WITH_COMMENT });
        if (existing && existing.ticketId === ticketId && existing.uploaderId === principal.userId) return present(existing, origin);
        throw problems.invalidField("/uploadId", "is not an upload of yours for this ticket");
      }
      if (upload.expiresAt.getTime() < Date.now()) throw problems.invalidField("/uploadId", "has expired; ask for a new upload URL");
      const comment = await checkComment(db, principal, ticketId, input.commentId, { pointer: "/commentId" });

      // The upload URL stays valid after registration, so the bytes are checked only once they sit
      // at the attachment key no URL can write. Claiming the upload row first serializes
      // concurrent registrations of one upload; a failure rolls the claim back.
      const finalKey = isUploadKey(upload.storageKey) ? attachmentKeyOfUpload(upload.storageKey) : upload.storageKey;
      const row = await db.$transaction(
        async (tx) => {
          const claimed = await tx.attachmentUpload.deleteMany({ where: { tenantId, id: upload.id } });
          if (claimed.count === 0) return undefined; // a concurrent registration won
          // Absent here but present at the attachment key: an earlier attempt moved it, then failed.
          if (finalKey !== upload.storageKey && (await storage.head(upload.storageKey))) await storage.move(upload.storageKey, finalKey);
          await checkArrived(upload, finalKey);
          return record(tx, principal, { tenantId, id: upload.id, ticketId, commentId: comment?.id ?? null, uploaderId: principal.userId, storageKey: finalKey, filename: upload.filename, contentType: upload.contentType, size: upload.size }, comment?.internal ?? false, requestId);
        },
        { timeout: REGISTRATION_TIMEOUT_MS },
      );
      if (row) return present(row, origin);
      const winner = await db.attachment.findUnique({ where: { tenantId_id: { tenantId, id: upload.id } } });
      if (!winner) throw problems.invalidField("/uploadId", "is not an upload of yours for this ticket");
      return present(winner, origin);
    },

    /** All the files, or none: objects stored before a failure are deleted again. */
    async uploadFiles(principal: TenantPrincipal, ticketId: string, commentId: string | undefined, openFiles: OpenFiles, origin: Origin, requestId?: string): Promise<Schemas["AttachmentFilesResult"]> {
      await visibleTicket(db, principal, ticketId);
      const comment = await checkComment(db, principal, ticketId, commentId, { parameter: "commentId" });
      const tenant = await tenantLimits(db, principal.tenantId, limits);
      const stored: string[] = [];
      try {
        const files: Awaited<ReturnType<typeof store>>[] = [];
        // One extra byte lets the parser hand over enough to tell "at the limit" from "over it".
        for await (const file of openFiles({ maxFileBytes: tenant.maxBytes + 1, maxFiles: MAX_FILES_PER_REQUEST })) {
          files.push(await store(principal, ticketId, file, tenant, stored));
        }
        if (files.length === 0) throw problems.malformed("Send at least one file (multipart/form-data).");
        const rows = await db.$transaction(async (tx) => {
          // The ticket may have been deleted or the comment hidden while the bytes streamed.
          await visibleTicket(tx, principal, ticketId);
          const created = [];
          for (const file of files) {
            created.push(await record(tx, principal, { tenantId: principal.tenantId, ticketId, commentId: comment?.id ?? null, uploaderId: principal.userId, ...file }, comment?.internal ?? false, requestId));
          }
          return created;
        });
        return { data: await Promise.all(rows.map((row) => present(row, origin))) };
      } catch (error) {
        await discard(stored);
        throw error;
      }
    },

    /**
     * Files that arrived another way (an email's attachments), for the caller to record in its own
     * transaction with recordStored. Streamed to the store now; a file the tenant does not accept
     * (type, size, empty) is skipped and named, not fatal. On failure the caller calls discard.
     */
    async storeIncoming(principal: TenantPrincipal, ticketId: string, files: readonly IncomingFile[]): Promise<{ stored: StoredFile[]; skipped: string[]; discard: () => Promise<void> }> {
      const tenant = await tenantLimits(db, principal.tenantId, limits);
      const keys: string[] = [];
      const stored: StoredFile[] = [];
      const skipped: string[] = [];
      try {
        for (const file of files) {
          try {
            stored.push(await store(principal, ticketId, file, tenant, keys));
          } catch (error) {
            if (!(error instanceof Problem)) throw error;
            skipped.push(cleanFilename(file.filename));
            logger.info({ ticketId, filename: file.filename, reason: error.message }, "incoming attachment not kept");
          }
        }
      } catch (error) {
        await discard(keys);
        throw error;
      }
      return { stored, skipped, discard: () => discard(keys) };
    },

    /** Records files stored by storeIncoming, on a comment, in the caller's transaction (events included). */
    async recordStored(tx: Db, principal: TenantPrincipal, ticketId: string, commentId: string, internal: boolean, files: readonly StoredFile[], requestId?: string): Promise<string[]> {
      const ids: string[] = [];
      for (const file of files) {
        ids.push((await record(tx, principal, { tenantId: principal.tenantId, ticketId, commentId, uploaderId: principal.userId, ...file }, internal, requestId)).id);
      }
      return ids;
    },

    async list(principal: TenantPrincipal, ticketId: string, query: QueryOf<"listAttachments">, origin: Origin): Promise<Schemas["AttachmentList"]> {
      await visibleTicket(db, principal, ticketId);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "asc");
      const conditions: Prisma.AttachmentWhereInput[] = [keyset.where];
      if (principal.role === "user") conditions.push({ OR: [{ commentId: null }, { comment: { internal: false } }] });
      const where: Prisma.AttachmentWhereInput = { tenantId: principal.tenantId, ticketId, AND: conditions };
      const rows = await db.attachment.findMany({ where, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: await Promise.all(result.data.map((row) => present(row, origin))), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, ticketId: string, attachmentId: string, origin: Origin): Promise<Attachment> {
      await visibleTicket(db, principal, ticketId);
      const row = await db.attachment.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: attachmentId } }, include: WITH_COMMENT });
      if (!row || row.ticketId !== ticketId || !canSeeAttachment(principal, row)) throw problems.notFound("attachment", attachmentId);
      return present(row, origin);
    },

    /** The row and its event first, in one transaction; the object once that committed. */
    async remove(principal: TenantPrincipal, ticketId: string, attachmentId: string, requestId?: string): Promise<void> {
      const removed = await db.$transaction(async (tx) => {
        await visibleTicket(tx, principal, ticketId);
        const row = await tx.attachment.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: attachmentId } }, include: WITH_COMMENT });
        if (!row || row.ticketId !== ticketId || !canSeeAttachment(principal, row)) throw problems.notFound("attachment", attachmentId);
        checkCanDelete(principal, row);
        const deleted = await tx.attachment.deleteMany({ where: { tenantId: principal.tenantId, id: attachmentId } });
        if (deleted.count === 0) throw problems.notFound("attachment", attachmentId);
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "attachment.deleted",
          entity: { type: "attachment", id: row.id },
          ticketId,
          internal: row.comment?.internal ?? false,
          before: attachmentFacts(row),
        });
        return row;
      });
      await storage.remove(removed.storageKey);
    },

    /** Deletes presigned uploads never registered in time, objects first. Returns how many. */
    async sweepExpiredUploads(now = new Date()): Promise<number> {
      const expired = await system.attachmentUpload.findMany({ where: { expiresAt: { lt: now } }, orderBy: { expiresAt: "asc" }, take: 100 });
      for (const upload of expired) {
        await storage.remove(upload.storageKey);
        await system.attachmentUpload.deleteMany({ where: { tenantId: upload.tenantId, id: upload.id, expiresAt: { lt: now } } });
      }
      return expired.length;
    },
  };
}

export type AttachmentService = ReturnType<typeof createAttachmentService>;

