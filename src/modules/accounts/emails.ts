// The account emails' jobs: welcome, invitation, password reset and the "password changed"
// notice. Each runs in a worker (any tenant: its queries run in the payload's tenant scope) and
// throws when the mail could not be handed over, so graphile-worker retries it with backoff.
// Tokens are minted here, where they are mailed: the database only ever holds their hashes, and
// the job queue holds none.
import type { Database } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { Logger } from "../../logger.ts";
import type { Mailer } from "../../mail/mailer.ts";
import { newAccountToken } from "./tokens.ts";
import { EMAIL_JOBS, type InvitationJob, type PasswordChangedJob, type PasswordResetJob, type WelcomeJob } from "./jobs.ts";

export interface AccountEmailDeps {
  db: Database;
  system: Database;
  mailer: Mailer;
  logger: Logger;
  /** The web app's pages the links open. */
  appUrl: string;
  passwordResetTtlSeconds: number;
}

type Task = (payload: unknown) => Promise<void>;

function link(appUrl: string, page: string, token: string): string {
  const url = new URL(page, `${appUrl}/`);
  url.searchParams.set("token", token);
  return url.toString();
}

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? "" : "s"}` : `${Math.round(seconds / 60)} minutes`;
}

export function accountEmailTasks({ db, system, mailer, logger, appUrl, passwordResetTtlSeconds }: AccountEmailDeps): Record<string, Task> {
  return {
    async [EMAIL_JOBS.welcome](payload) {
      const { tenantId, userId } = payload as WelcomeJob;
      const user = await tenantScope.run(tenantId, async () => await db.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, include: { tenant: true } }));
      if (!user || !user.active) return;
      await mailer.send({
        to: user.email,
        subject: `Welcome to Docket, ${user.name}`,
        text: `Hello ${user.name},\n\n${user.tenant.name} is set up on Docket. Log in with the organisation "${user.tenant.slug}" and this email address:\n\n${appUrl}\n\nThe Docket team\n`,
      });
    },

    async [EMAIL_JOBS.invitation](payload) {
      const { tenantId, invitationId } = payload as InvitationJob;
      await tenantScope.run(tenantId, async () => {
        const invitation = await db.invitation.findUnique({ where: { tenantId_id: { tenantId, id: invitationId } }, include: { tenant: true, invitedBy: true } });
        if (!invitation || invitation.acceptedAt || invitation.expiresAt <= new Date()) return;
        // A retry mints a new token: the link of an email that never left dies with its hash.
        const { token, hash } = newAccountToken("inv");
        await db.invitation.update({ where: { tenantId_id: { tenantId, id: invitationId } }, data: { tokenHash: hash } });
        await mailer.send({
          to: invitation.email,
          subject: `${invitation.invitedBy.name} invited you to ${invitation.tenant.name} on Docket`,
          text:
            `Hello,\n\n${invitation.invitedBy.name} invited you to join ${invitation.tenant.name} on Docket as ${invitation.role === "user" ? "a user" : `an ${invitation.role}`}.\n\n` +
            `Choose your name and password here (the link works once, until ${invitation.expiresAt.toUTCString()}):\n\n${link(appUrl, "accept-invitation", token)}\n\n` +
            `If you did not expect this, ignore this email.\n`,
        });
      });
    },

    async [EMAIL_JOBS.passwordReset](payload) {
      const { tenantSlug, email } = payload as PasswordResetJob;
      const tenant = await system.tenant.findUnique({ where: { slug: tenantSlug } });
      if (!tenant || tenant.deletedAt || tenant.status !== "active") return;
      await tenantScope.run(tenant.id, async () => {
        const user = await db.user.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email } } });
        // Nobody to write to: nothing happens, which is what the requester cannot tell apart.
        if (!user || !user.active) return;
        const { token, hash } = newAccountToken("rst");
        await db.passwordReset.create({ data: { tenantId: tenant.id, userId: user.id, tokenHash: hash, expiresAt: new Date(Date.now() + passwordResetTtlSeconds * 1000) } });
        await mailer.send({
          to: user.email,
          subject: "Reset your Docket password",
          text:
            `Hello ${user.name},\n\nSomeone (we hope you) asked to reset the password of your account at ${tenant.name} on Docket. Choose a new one here; the link works once, for ${hours(passwordResetTtlSeconds)}:\n\n` +
            `${link(appUrl, "reset-password", token)}\n\nIf it was not you, ignore this email: your password stays as it is.\n`,
        });
      });
    },

    async [EMAIL_JOBS.passwordChanged](payload) {
      const { tenantId, userId } = payload as PasswordChangedJob;
      const user = await tenantScope.run(tenantId, async () => await db.user.findUnique({ where: { tenantId_id: { tenantId, id: userId } }, include: { tenant: true } }));
      if (!user) return;
      // A security notice: sent whatever the user's email preferences.
      await mailer.send({
        to: user.email,
        subject: "Your Docket password was changed",
        text:
          `Hello ${user.name},\n\nThe password of your account at ${user.tenant.name} on Docket was just changed through a password-reset link, and every session was logged out.\n\n` +
          `If this was not you, reset your password again at once and tell an admin of your organisation.\n`,
      });
      logger.info({ tenantId, userId }, "password-changed notice sent");
    },
  };
}
