// The platform operator's view across tenants: create, list, suspend, reactivate, delete.
import type { Database } from "../../db/client.ts";
import { appendEvent, changedFields, type RequestContext } from "../../events/event-log.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { problems } from "../../core/problem.ts";
import type { Prisma, Tenant as TenantRow } from "../../generated/prisma/client.ts";
import { revokeSessions } from "../auth/sessions.ts";
import type { SessionCache } from "../auth/session-cache.ts";
import type { TenantService } from "../tenant/service.ts";
import type { Principal } from "../../core/principal.ts";
import { checkOperator } from "./policy.ts";
import { toPlatformTenant, type PlatformTenant, type TenantSettings } from "../tenant/representation.ts";
import { toUser } from "../users/representation.ts";

const OPERATOR = { type: "operator" } as const;

export function createPlatformService(db: Database, tenants: TenantService, sessions: SessionCache) {
  async function find(tenantId: string): Promise<TenantRow> {
    const tenant = await db.tenant.findUnique({ where: { id: tenantId } });
    if (!tenant) throw problems.notFound("tenant", tenantId);
    return tenant;
  }

  return {
    async list(principal: Principal, query: QueryOf<"listPlatformTenants">): Promise<Schemas["PlatformTenantList"]> {
      checkOperator(principal);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const status: Prisma.TenantWhereInput =
        query.status === "deleted" ? { deletedAt: { not: null } } : { deletedAt: null, ...(query.status ? { status: query.status } : {}) };
      const rows = await db.tenant.findMany({ where: { ...status, ...keyset.where }, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toPlatformTenant), nextCursor: result.nextCursor };
    },

    async create(principal: Principal, input: Schemas["PlatformTenantCreate"], requestId?: string): Promise<Schemas["PlatformTenantCreated"]> {
      checkOperator(principal);
      return db.$transaction(async (tx) => {
        const { tenant, admin } = await tenants.createWithAdmin(tx, { actor: OPERATOR, requestId }, input);
        return { tenant: toPlatformTenant(tenant), admin: toUser(admin) };
      });
    },

    async get(principal: Principal, tenantId: string): Promise<PlatformTenant> {
      checkOperator(principal);
      return toPlatformTenant(await find(tenantId));
    },

    /** Name, settings and status change together or not at all: one transaction. */
    async update(principal: Principal, tenantId: string, change: { name?: string; status?: "active" | "suspended"; settings?: TenantSettings }, requestId?: string): Promise<PlatformTenant> {
      checkOperator(principal);
      const context: RequestContext = { actor: OPERATOR, requestId };
      let statusChanged = false;
      const updated = await db.$transaction(async (tx) => {
        // Locks the row, so a concurrent change waits rather than interleaving with this one.
        const [current] = await tx.$queryRaw<Array<{ deletedAt: Date | null }>>`SELECT "deletedAt" FROM "Tenant" WHERE id = ${tenantId}::uuid FOR UPDATE`;
        if (!current) throw problems.notFound("tenant", tenantId);
        if (current.deletedAt) throw problems.conflict("tenant_deleted", "This tenant is deleted; it can no longer change.");
        if (change.name !== undefined || change.settings !== undefined) {
          await tenants.update(tenantId, context, { name: change.name, settings: change.settings }, tx);
        }
        const before = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
        if (change.status === undefined || change.status === before.status) return toPlatformTenant(before);
        statusChanged = true;
        const after = await tx.tenant.update({ where: { id: tenantId }, data: { status: change.status } });
        if (change.status === "suspended") await revokeSessions(tx, { tenantId }, "tenant_suspended");
        await appendEvent(tx, context, {
          tenantId,
          type: change.status === "suspended" ? "tenant.suspended" : "tenant.reactivated",
          entity: { type: "tenant", id: tenantId },
          ...changedFields(toPlatformTenant(before), toPlatformTenant(after)),
        });
        return toPlatformTenant(after);
      });
      if (statusChanged) sessions.invalidate({ ended: change.status === "suspended" ? [{ tenantId }] : [], roleChanged: [] });
      return updated;
    },

    /** Soft delete; idempotent. */
    async remove(principal: Principal, tenantId: string, requestId?: string): Promise<void> {
      checkOperator(principal);
      const current = await find(tenantId);
      if (current.deletedAt) return;
      await db.$transaction(async (tx) => {
        const deleted = await tx.tenant.update({ where: { id: tenantId }, data: { deletedAt: new Date() } });
        await revokeSessions(tx, { tenantId }, "tenant_deleted");
        await appendEvent(tx, { actor: OPERATOR, requestId }, {
          tenantId,
          type: "tenant.deleted",
          entity: { type: "tenant", id: tenantId },
          before: toPlatformTenant(current),
          after: toPlatformTenant(deleted),
        });
      });
      sessions.invalidate({ ended: [{ tenantId }], roleChanged: [] });
    },
  };
}

export type PlatformService = ReturnType<typeof createPlatformService>;
