// Invitations and forgotten passwords: the account flows that go through an email. Each email is
// a durable job added in the transaction of the change that causes it (src/db/job-queue.ts); the
// jobs themselves are in ./emails.ts.
import type { Database } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { enqueueJob } from "../../db/job-queue.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import { appendEvent, contextOf, type RequestContext } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import type { Invitation as InvitationRow } from "../../generated/prisma/client.ts";
import { hashPassword } from "../auth/passwords.ts";
import { openSession, revokeSessions } from "../auth/sessions.ts";
import type { TokenIssuer } from "../auth/tokens.ts";
import type { SessionCache } from "../auth/session-cache.ts";
import { toUser } from "../users/representation.ts";
import { toTenant } from "../tenant/representation.ts";
import { checkCanCreate } from "../users/policy.ts";
import { hashAccountToken } from "./tokens.ts";
import { EMAIL_JOBS } from "./jobs.ts";

export interface AccountServiceDeps {
  db: Database;
  /** Across tenants: a token's row is found before its tenant is known. */
  system: Database;
  tokens: TokenIssuer;
  sessions: SessionCache;
  invitationTtlSeconds: number;
}

export function toInvitation(row: InvitationRow): Schemas["Invitation"] {
  return { id: row.id, email: row.email, role: row.role, invitedById: row.invitedById, expiresAt: row.expiresAt.toISOString(), createdAt: row.createdAt.toISOString() };
}

export function createAccountService({ db, system, tokens, sessions, invitationTtlSeconds }: AccountServiceDeps) {
  return {
    async invite(principal: TenantPrincipal, input: Schemas["InvitationCreate"], requestId?: string): Promise<Schemas["Invitation"]> {
      checkCanCreate(principal);
      const email = input.email.toLowerCase();
      return db.$transaction(async (tx) => {
        const member = await tx.user.findUnique({ where: { tenantId_email: { tenantId: principal.tenantId, email } }, select: { id: true } });
        if (member) throw problems.conflict("email_taken", `A user with email ${input.email} already exists.`);
        const invitation = await tx.invitation.create({
          data: { tenantId: principal.tenantId, email, role: input.role ?? "user", invitedById: principal.userId, expiresAt: new Date(Date.now() + invitationTtlSeconds * 1000) },
        });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "user.invited",
          entity: { type: "invitation", id: invitation.id },
          after: { email, role: invitation.role, expiresAt: invitation.expiresAt.toISOString() },
        });
        await enqueueJob(tx, EMAIL_JOBS.invitation, { tenantId: principal.tenantId, invitationId: invitation.id });
        return toInvitation(invitation);
      });
    },

    async acceptInvitation(input: Schemas["InvitationAcceptance"], meta: { userAgent?: string; requestId?: string }): Promise<Schemas["AuthResult"]> {
      const invalid = problems.invalidToken("This invitation link is not valid any more; ask an admin for a new one.");
      const found = await system.invitation.findUnique({ where: { tokenHash: hashAccountToken(input.token) }, include: { tenant: true } });
      if (!found || found.acceptedAt || found.expiresAt <= new Date() || found.tenant.deletedAt || found.tenant.status !== "active") throw invalid;
      const passwordHash = await hashPassword(input.password);
      return tenantScope.run(found.tenantId, () => db.$transaction(async (tx) => {
        // The conditional update is the arbiter: of two acceptances at once, one wins.
        const spent = await tx.invitation.updateMany({ where: { tenantId: found.tenantId, id: found.id, acceptedAt: null }, data: { acceptedAt: new Date() } });
        if (spent.count === 0) throw invalid;
        let user;
        try {
          user = await tx.user.create({ data: { tenantId: found.tenantId, email: found.email, name: input.name, role: found.role, passwordHash } });
        } catch (error) {
          if (isUniqueViolation(error, "email")) throw problems.conflict("email_taken", `A user with email ${found.email} already exists.`);
          throw error;
        }
        await tx.invitation.update({ where: { tenantId_id: { tenantId: found.tenantId, id: found.id } }, data: { userId: user.id } });
        const context: RequestContext = { actor: { type: "user", id: user.id }, requestId: meta.requestId };
        await appendEvent(tx, context, { tenantId: found.tenantId, type: "user.created", entity: { type: "user", id: user.id }, after: { ...toUser(user), invitationId: found.id } });
        const pair = await openSession(tx, tokens, user, meta.userAgent);
        return { ...pair, user: toUser(user), tenant: toTenant(found.tenant) };
      }));
    },

    /**
     * Always the same quick answer: only a job is added here, and the job looks the account up
     * (./emails.ts), so neither the response nor its timing says whether the account exists.
     */
    async requestPasswordReset(input: Schemas["PasswordResetRequest"]): Promise<void> {
      // A job per address at most pending at a time: repeated requests do not queue a flood of emails.
      const slug = input.tenantSlug.toLowerCase();
      const email = input.email.toLowerCase();
      await enqueueJob(db, EMAIL_JOBS.passwordReset, { tenantSlug: slug, email }, { jobKey: `password-reset:${slug}:${email}` });
    },

    async confirmPasswordReset(input: Schemas["PasswordResetConfirmation"], meta: { requestId?: string }): Promise<void> {
      const invalid = problems.invalidToken("This password-reset link is not valid any more; ask for a new one.");
      const found = await system.passwordReset.findUnique({ where: { tokenHash: hashAccountToken(input.token) }, include: { user: true } });
      if (!found || found.usedAt || found.expiresAt <= new Date() || !found.user.active) throw invalid;
      const passwordHash = await hashPassword(input.password);
      const { tenantId, userId } = found;
      await tenantScope.run(tenantId, () => db.$transaction(async (tx) => {
        const spent = await tx.passwordReset.updateMany({ where: { tenantId, id: found.id, usedAt: null }, data: { usedAt: new Date() } });
        if (spent.count === 0) throw invalid;
        // Every other link of this user dies with it: one reset, one new password.
        await tx.passwordReset.updateMany({ where: { tenantId, userId, usedAt: null }, data: { usedAt: new Date() } });
        await tx.user.update({ where: { tenantId_id: { tenantId, id: userId } }, data: { passwordHash } });
        await revokeSessions(tx, { tenantId, userId }, "password_changed");
        await appendEvent(tx, { actor: { type: "user", id: userId }, requestId: meta.requestId }, { tenantId, type: "auth.password_reset", entity: { type: "user", id: userId } });
        await enqueueJob(tx, EMAIL_JOBS.passwordChanged, { tenantId, userId });
      }));
      sessions.invalidate({ ended: [{ tenantId, userId }], roleChanged: [] });
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
