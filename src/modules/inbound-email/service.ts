// Replies by email become comments (POST /v1/inbound/email). The provider's inbound hook posts the
// raw MIME message, signed the Standard Webhooks way with INBOUND_EMAIL_SECRET; the recipient is a
// reply address Docket signed (src/mail/reply-address.ts), which names the tenant, the ticket and
// the person the email went to, and the From must be that person. The reply text, with the quoted
// history stripped (email-reply-parser), becomes their public comment, and the attachments the
// ticket's. One comment per Message-ID, however often the provider delivers it.
import { Readable } from "node:stream";
import type { AddressObject, ParsedMail } from "mailparser";
import EmailReplyParser from "email-reply-parser";
import { Webhook } from "standardwebhooks";
import type { Database } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { UserPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import type { Logger } from "../../logger.ts";
import type { ReplyAddresses, ReplyRoute } from "../../mail/reply-address.ts";
import type { CommentService } from "../comments/service.ts";
import type { AttachmentService } from "../attachments/service.ts";

type Result = Schemas["InboundEmailResult"];

export interface InboundEmailDeps {
  db: Database;
  /** Across tenants: the tenant of a reply address, before its scope is entered. */
  system: Database;
  /** Absent: inbound email is off (404). */
  secret: string | undefined;
  replyAddresses: ReplyAddresses;
  comments: CommentService;
  attachments: AttachmentService;
  logger: Logger;
}

/** The signature headers a Standard Webhooks verifier reads. */
export interface SignatureHeaders {
  "webhook-id"?: string;
  "webhook-timestamp"?: string;
  "webhook-signature"?: string;
}

const BODY_MAX_CHARS = 65_000;

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((object) => object.value.flatMap((entry) => [entry.address, ...(entry.group ?? []).map((member) => member.address)])).filter((address): address is string => Boolean(address));
}

/** Where the message was delivered: the envelope's recipient as providers record it, then To and Cc. */
function recipients(mail: ParsedMail): string[] {
  const delivered = ["delivered-to", "x-original-to", "envelope-to"].flatMap((name) => {
    const value = mail.headers.get(name);
    return typeof value === "string" ? [value] : [];
  });
  return [...delivered, ...addresses(mail.to), ...addresses(mail.cc)];
}

function replyText(mail: ParsedMail): string {
  const text = mail.text ?? "";
  return new EmailReplyParser().read(text).getVisibleText().trim();
}

export function createInboundEmailService({ db, system, secret, replyAddresses, comments, attachments, logger }: InboundEmailDeps) {
  const webhook = secret === undefined ? undefined : new Webhook(secret);

  /** The reply address among the recipients, verified: the first of ours decides. */
  function routeOf(mail: ParsedMail): ReplyRoute {
    let forged = false;
    for (const address of recipients(mail)) {
      const result = replyAddresses.routeOf(address);
      if ("route" in result) return result.route;
      if (result.refused === "forged") forged = true;
    }
    throw problems.replyAddressInvalid(
      forged
        ? "The reply address's signature does not match: it was not issued by this server."
        : `The message is not addressed to a reply address (reply+…@${replyAddresses.domain}).`,
    );
  }

  async function existing(tenantId: string, messageId: string): Promise<Result | undefined> {
    const row = await db.inboundEmail.findUnique({ where: { tenantId_messageId: { tenantId, messageId } } });
    if (!row) return undefined;
    const files = await db.attachment.findMany({ where: { tenantId, commentId: row.commentId }, select: { id: true }, orderBy: { createdAt: "asc" } });
    return { ticketId: row.ticketId, commentId: row.commentId, attachmentIds: files.map((file) => file.id), duplicate: true };
  }

  return {
    enabled: webhook !== undefined,

    async receive(raw: Buffer, headers: SignatureHeaders, requestId?: string): Promise<{ status: 200 | 201; body: Result }> {
      if (!webhook) throw problems.inboundEmailDisabled();
      try {
        webhook.verify(raw, { "webhook-id": headers["webhook-id"] ?? "", "webhook-timestamp": headers["webhook-timestamp"] ?? "", "webhook-signature": headers["webhook-signature"] ?? "" }, { jsonParse: false });
      } catch (error) {
        throw problems.invalidSignature(`The webhook signature does not verify with INBOUND_EMAIL_SECRET (${(error as Error).message}).`);
      }
      // Loaded with the first email (about 9 MiB of memory): a process without inbound email never needs it.
      const { simpleParser } = await import("mailparser");
      let mail: ParsedMail;
      try {
        mail = await simpleParser(raw, { skipHtmlToText: false, skipTextLinks: true });
      } catch (error) {
        throw problems.invalidEmail(`The body is not a MIME message: ${(error as Error).message}.`);
      }
      const from = addresses(mail.from)[0]?.toLowerCase();
      const messageId = mail.messageId?.trim();
      if (!from || !messageId || mail.headers.size === 0) throw problems.invalidEmail("The body is not an email: it needs at least From and Message-ID header fields.");
      const route = routeOf(mail);

      const tenant = await system.tenant.findUnique({ where: { id: route.tenantId } });
      if (!tenant || tenant.deletedAt || tenant.status !== "active") throw problems.replyAddressInvalid("The reply address names an organisation that is not active.");
      return tenantScope.run(tenant.id, async () => {
        const user = await db.user.findUnique({ where: { tenantId_id: { tenantId: tenant.id, id: route.userId } } });
        if (!user || !user.active) throw problems.replyAddressInvalid("The reply address names a person who is no longer active here.");
        if (user.email !== from) throw problems.replyAddressInvalid("The sender is not the person this reply address was sent to.");
        const seen = await existing(tenant.id, messageId);
        if (seen) return { status: 200 as const, body: seen };

        const body = replyText(mail);
        if (body === "") throw problems.invalidEmail("The message has no reply text above the quoted history.");
        const principal: UserPrincipal = { kind: "user", tenantId: tenant.id, userId: user.id, role: user.role, sessionId: "" };
        const files = mail.attachments
          .filter((file) => file.contentDisposition !== "inline" || file.filename)
          .map((file) => ({ filename: file.filename ?? "attachment", declaredType: file.contentType, stream: Readable.from([file.content]) }));
        const incoming = await attachments.storeIncoming(principal, route.ticketId, files);
        try {
          const result = await db.$transaction(async (tx) => {
            const comment = await comments.createIn(tx, principal, route.ticketId, { body: body.slice(0, BODY_MAX_CHARS) }, { actor: { type: "user", id: user.id }, requestId });
            const attachmentIds = await attachments.recordStored(tx, principal, route.ticketId, comment.id, false, incoming.stored, requestId);
            await tx.inboundEmail.create({ data: { tenantId: tenant.id, messageId, ticketId: route.ticketId, senderId: user.id, commentId: comment.id } });
            return { ticketId: route.ticketId, commentId: comment.id, attachmentIds, ...(incoming.skipped.length > 0 ? { skippedAttachments: incoming.skipped } : {}), duplicate: false };
          }, { timeout: 30_000 });
          logger.info({ tenantId: tenant.id, ticketId: route.ticketId, commentId: result.commentId, attachments: result.attachmentIds.length }, "email reply received as a comment");
          return { status: 201 as const, body: result };
        } catch (error) {
          await incoming.discard();
          // The same message delivered twice at once: the other delivery made the comment.
          if (isUniqueViolation(error, "messageId")) {
            const first = await existing(tenant.id, messageId);
            if (first) return { status: 200 as const, body: first };
          }
          throw error;
        }
      });
    },
  };
}

export type InboundEmailService = ReturnType<typeof createInboundEmailService>;
