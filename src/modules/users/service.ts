// The tenant's users. Every query names the principal's tenant and the composite key
// (tenantId, id): there is no way to address a user by id alone.
import type { Database, Db } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { problems } from "../../core/problem.ts";
import type { Prisma, User as UserRow } from "../../generated/prisma/client.ts";
import { hashPassword, verifyPassword } from "../auth/passwords.ts";
import { revokeSessions } from "../auth/sessions.ts";
import type { SessionCache } from "../auth/session-cache.ts";
import { canSee, checkUpdate, checkCanCreate, checkCanDeactivate, checkCanList } from "./policy.ts";
import { toUser, type User } from "./representation.ts";
import { requireLocale } from "../../core/locale.ts";

/**
 * Locks the tenant's active admins so two concurrent demotions cannot both pass the check. NO KEY
 * UPDATE (what the demotion's own UPDATE takes), in id order: FOR UPDATE also blocked the KEY SHARE
 * locks that rows pointing at a user take (a notification for the admins, a comment), and such an
 * insert holding one admin while waiting for another deadlocked with this (a 500 on PATCH).
 */
async function activeAdminCount(tx: Db, tenantId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "User" WHERE "tenantId" = ${tenantId}::uuid AND role = 'admin' AND active ORDER BY id FOR NO KEY UPDATE`;
  return rows.length;
}

export function createUserService(db: Database, sessions: SessionCache) {
  async function findVisible(tx: Db, principal: TenantPrincipal, userId: string): Promise<UserRow> {
    const user = canSee(principal, userId) ? await tx.user.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: userId } } }) : null;
    if (!user) throw problems.notFound("user", userId);
    return user;
  }

  return {
    async list(principal: TenantPrincipal, query: QueryOf<"listUsers">): Promise<Schemas["UserList"]> {
      checkCanList(principal);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const where: Prisma.UserWhereInput = { tenantId: principal.tenantId, role: query.role, active: query.active, ...keyset.where };
      const rows = await db.user.findMany({ where, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toUser), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, userId: string): Promise<User> {
      return toUser(await findVisible(db, principal, userId));
    },

    async create(principal: TenantPrincipal, input: Schemas["UserCreate"], requestId?: string): Promise<User> {
      checkCanCreate(principal);
      const passwordHash = await hashPassword(input.password);
      return db.$transaction(async (tx) => {
        let user: UserRow;
        try {
          user = await tx.user.create({
            data: { tenantId: principal.tenantId, email: input.email.toLowerCase(), name: input.name, role: input.role ?? "user", skills: input.skills ?? [], locale: input.locale === undefined ? null : requireLocale(input.locale, { pointer: "/locale" }), capacity: input.capacity, availability: input.availability, passwordHash },
          });
        } catch (error) {
          if (isUniqueViolation(error, "email")) throw problems.conflict("email_taken", `A user with email ${input.email} already exists.`);
          throw error;
        }
        await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "user.created", entity: { type: "user", id: user.id }, after: toUser(user) });
        return toUser(user);
      });
    },

    async update(principal: TenantPrincipal, userId: string, change: Schemas["UserUpdate"], requestId?: string): Promise<User> {
      const target = await findVisible(db, principal, userId);
      checkUpdate(principal, target, change);
      if (change.currentPassword !== undefined && !(await verifyPassword(target.passwordHash, change.currentPassword))) {
        throw problems.invalidField("/currentPassword", "is not your current password");
      }
      const passwordHash = change.password === undefined ? undefined : await hashPassword(change.password);
      const context = contextOf(principal, requestId);
      const updated = await db.$transaction(async (tx) => {
        const key = { tenantId_id: { tenantId: principal.tenantId, id: userId } };
        const losesAdmin = target.role === "admin" && target.active && ((change.role !== undefined && change.role !== "admin") || change.active === false);
        if (losesAdmin && (await activeAdminCount(tx, principal.tenantId)) <= 1) {
          throw problems.conflict("last_admin", "This is the last active admin; make someone else admin first.");
        }
        let updated: UserRow;
        try {
          updated = await tx.user.update({
            where: key,
            data: {
              name: change.name,
              email: change.email?.toLowerCase(),
              role: change.role,
              skills: change.skills,
              locale: change.locale === undefined || change.locale === null ? change.locale : requireLocale(change.locale, { pointer: "/locale" }),
              capacity: change.capacity,
              availability: change.availability,
              passwordHash,
              ...(change.active === undefined || change.active === target.active ? {} : { active: change.active, deactivatedAt: change.active ? null : new Date() }),
            },
          });
        } catch (error) {
          if (isUniqueViolation(error, "email")) throw problems.conflict("email_taken", `A user with email ${change.email} already exists.`);
          throw error;
        }
        const before = toUser(target);
        const after = toUser(updated);
        const entity = { type: "user", id: userId };
        const tenantId = principal.tenantId;
        const diff = changedFields(before, after);
        if (Object.keys(diff.after).length > 0 || passwordHash) {
          await appendEvent(tx, context, { tenantId, type: "user.updated", entity, before: diff.before, after: { ...diff.after, ...(passwordHash ? { passwordChanged: true } : {}) } });
        }
        if (before.role !== after.role) await appendEvent(tx, context, { tenantId, type: "user.role_changed", entity, before: { role: before.role }, after: { role: after.role } });
        if (before.active && !after.active) {
          await revokeSessions(tx, { tenantId, userId }, "user_deactivated");
          await appendEvent(tx, context, { tenantId, type: "user.deactivated", entity, before, after });
        }
        if (!before.active && after.active) await appendEvent(tx, context, { tenantId, type: "user.reactivated", entity, before, after });
        // A new password ends the user's other sessions (a stolen one included); the session
        // that changed it stays, so nobody logs themselves out.
        if (passwordHash) {
          await revokeSessions(tx, { tenantId, userId, exceptSessionId: principal.kind === "user" && principal.userId === userId ? principal.sessionId : undefined }, "password_changed");
        }
        return after;
      });
      // Role, active flag and live sessions are part of every verified session.
      if (change.role !== undefined || change.active !== undefined || passwordHash) {
        const tenantId = principal.tenantId;
        sessions.invalidate({
          ended: [
            ...(change.active === false ? [{ tenantId, userId }] : []),
            ...(passwordHash ? [{ tenantId, userId, exceptSessionId: principal.kind === "user" && principal.userId === userId ? principal.sessionId : undefined }] : []),
          ],
          roleChanged: change.role !== undefined ? [{ tenantId, userId, role: updated.role }] : [],
        });
      }
      return updated;
    },

    /** DELETE deactivates: the person's history stays, their sessions end. Idempotent. */
    async deactivate(principal: TenantPrincipal, userId: string, requestId?: string): Promise<void> {
      checkCanDeactivate(principal);
      const target = await findVisible(db, principal, userId);
      if (!target.active) return;
      await this.update(principal, userId, { active: false }, requestId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
