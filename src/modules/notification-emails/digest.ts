// The digest job: every notification still due by email for one person and one ticket, in one
// email. Preferences and mutes are asked again at send time (someone who unsubscribed during the
// window gets nothing); security notices go whatever they say. The email carries a Reply-To that
// routes a reply back to the ticket as a comment (src/mail/reply-address.ts) and a one-click
// unsubscribe (RFC 8058) from the kinds it is about.
import type { Database } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { Logger } from "../../logger.ts";
import type { Mailer } from "../../mail/mailer.ts";
import type { ReplyAddresses } from "../../mail/reply-address.ts";
import type { UnsubscribeTokens } from "../../mail/unsubscribe-token.ts";
import { isSecurityKind, type NotificationKind } from "../notifications/kinds.ts";
import { preferenceTable, wants } from "../notifications/preferences.ts";
import { DIGEST_JOB, type DigestJob } from "./schedule.ts";

export interface DigestDeps {
  db: Database;
  mailer: Mailer;
  replyAddresses: ReplyAddresses;
  unsubscribeTokens: UnsubscribeTokens;
  /** Where the unsubscribe endpoint is reached: the API's public origin. */
  apiUrl: string;
  /** The web app, for the link to the ticket. */
  appUrl: string;
  logger: Logger;
}

/** More than this many in one window: the rest wait for the next digest. */
const MAX_PER_DIGEST = 50;
const BODY_EXCERPT = 2_000;

export function notificationEmailTasks({ db, mailer, replyAddresses, unsubscribeTokens, apiUrl, appUrl, logger }: DigestDeps): Record<string, (payload: unknown) => Promise<void>> {
  return {
    async [DIGEST_JOB](payload) {
      const { tenantId, userId, ticketId } = payload as DigestJob;
      await tenantScope.run(tenantId, async () => {
        const due = await db.notification.findMany({ where: { tenantId, userId, ticketId, email: true, emailedAt: null }, orderBy: { createdAt: "asc" }, take: MAX_PER_DIGEST });
        if (due.length === 0) return;
        const settle = () => db.notification.updateMany({ where: { tenantId, id: { in: due.map((row) => row.id) } }, data: { emailedAt: new Date() } });
        const [user, preferences, defaults, subscription, ticket] = await Promise.all([
          db.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, include: { tenant: true } }),
          db.notificationPreference.findMany({ where: { tenantId, userId } }),
          db.notificationDefault.findMany({ where: { tenantId } }),
          ticketId ? db.ticketSubscription.findUnique({ where: { tenantId_ticketId_userId: { tenantId, ticketId, userId } } }) : null,
          ticketId ? db.ticket.findUnique({ where: { tenantId_id: { tenantId, id: ticketId } } }) : null,
        ]);
        const muted = subscription?.state === "muted";
        const wanted = due.filter((row) => wants(preferenceTable(preferences), preferenceTable(defaults), row.reason as NotificationKind, "email", muted));
        if (!user || !user.active || (ticketId && (!ticket || ticket.deletedAt)) || wanted.length === 0) {
          await settle();
          return;
        }
        // The words of the comments, as they are now: deleted ones are left out, internal ones are never shown to a requester.
        const commentIds = wanted.map((row) => row.commentId).filter((id): id is string => id !== null);
        const comments = new Map(
          (await db.comment.findMany({ where: { tenantId, id: { in: commentIds }, deletedAt: null, ...(user.role === "user" ? { internal: false } : {}) } })).map((comment) => [comment.id, comment]),
        );
        const lines = wanted.map((row) => {
          const comment = row.commentId ? comments.get(row.commentId) : undefined;
          const body = comment ? `\n\n${comment.body.length > BODY_EXCERPT ? `${comment.body.slice(0, BODY_EXCERPT)}…` : comment.body}` : "";
          return `• ${row.summary}${body}`;
        });
        const kinds = [...new Set(wanted.map((row) => row.reason))].filter((kind) => !isSecurityKind(kind as NotificationKind));
        const headers: Record<string, string> = {};
        if (kinds.length > 0) {
          const url = `${apiUrl}/v1/notifications/unsubscribe?token=${unsubscribeTokens.sign({ tenantId, userId, kinds })}`;
          headers["List-Unsubscribe"] = `<${url}>`;
          headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click";
        }
        const subject = ticket ? `[${user.tenant.name}] #${ticket.number} ${ticket.title}` : `[${user.tenant.name}] ${wanted[0]!.summary}`;
        const footer = ticket
          ? `\n\n—\nReply to this email to comment on the ticket, or open it: ${appUrl}/tickets/${ticket.id}`
          : "";
        const unsubscribeLine = kinds.length > 0 ? `\nYou get these emails for: ${kinds.join(", ")}. Change this in your notification preferences, or unsubscribe with your mail client's unsubscribe button.` : "";
        await mailer.send({
          to: user.email,
          subject,
          text: `${lines.join("\n\n")}${footer}${unsubscribeLine}\n`,
          replyTo: ticket ? replyAddresses.addressFor({ tenantId, ticketId: ticket.id, userId }) : undefined,
          references: ticket ? `<ticket-${ticket.id}@${replyAddresses.domain}>` : undefined,
          headers,
        });
        await settle();
        logger.info({ tenantId, userId, ticketId, notifications: wanted.length }, "notification email sent");
      });
    },
  };
}
