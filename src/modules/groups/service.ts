// Groups (teams of agents) and their members. A change of members is a group.updated event whose
// memberIds the routing consumer reads to drain the group's queue (src/modules/routing/router.ts).
import type { Database, Db } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { problems } from "../../core/problem.ts";
import { checkCanManage, checkCanRead } from "./policy.ts";
import { toGroup, type Group } from "./representation.ts";

const WITH_MEMBERS = { members: { select: { userId: true } } } as const;

/** Every member must be an active agent or admin of the tenant. */
async function checkMembers(tx: Db, tenantId: string, memberIds: readonly string[]): Promise<void> {
  if (memberIds.length === 0) return;
  const staff = await tx.user.findMany({ where: { tenantId, id: { in: [...memberIds] }, active: true, role: { in: ["admin", "agent"] } }, select: { id: true } });
  const found = new Set(staff.map((user) => user.id));
  const index = memberIds.findIndex((id) => !found.has(id));
  if (index >= 0) throw problems.invalidField(`/memberIds/${index}`, "is not an active agent or admin of this tenant");
}

function nameTaken(name: string) {
  return problems.conflict("group_name_taken", `A group named ${name} already exists.`);
}

export function createGroupService(db: Database) {
  async function find(tx: Db, tenantId: string, groupId: string) {
    const group = await tx.group.findUnique({ where: { tenantId_id: { tenantId, id: groupId } }, include: WITH_MEMBERS });
    if (!group) throw problems.notFound("group", groupId);
    return group;
  }

  return {
    async list(principal: TenantPrincipal, query: QueryOf<"listGroups">): Promise<Schemas["GroupList"]> {
      checkCanRead(principal);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "asc");
      const rows = await db.group.findMany({ where: { tenantId: principal.tenantId, ...keyset.where }, orderBy: keyset.orderBy, take: limit + 1, include: WITH_MEMBERS });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toGroup), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, groupId: string): Promise<Group> {
      checkCanRead(principal);
      return toGroup(await find(db, principal.tenantId, groupId));
    },

    async create(principal: TenantPrincipal, input: Schemas["GroupCreate"], requestId?: string): Promise<Group> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const memberIds = input.memberIds ?? [];
        await checkMembers(tx, tenantId, memberIds);
        let id: string;
        try {
          ({ id } = await tx.group.create({ data: { tenantId, name: input.name, description: input.description ?? "" }, select: { id: true } }));
        } catch (error) {
          if (isUniqueViolation(error)) throw nameTaken(input.name);
          throw error;
        }
        if (memberIds.length > 0) await tx.groupMember.createMany({ data: memberIds.map((userId) => ({ tenantId, groupId: id, userId })) });
        const group = toGroup(await find(tx, tenantId, id));
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "group.created", entity: { type: "group", id }, after: group });
        return group;
      });
    },

    async update(principal: TenantPrincipal, groupId: string, change: Schemas["GroupUpdate"], requestId?: string): Promise<Group> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM "Group" WHERE "tenantId" = ${tenantId}::uuid AND id = ${groupId}::uuid FOR UPDATE`;
        const before = toGroup(await find(tx, tenantId, groupId));
        if (change.name !== undefined || change.description !== undefined) {
          try {
            await tx.group.update({ where: { tenantId_id: { tenantId, id: groupId } }, data: { name: change.name, description: change.description } });
          } catch (error) {
            if (isUniqueViolation(error)) throw nameTaken(change.name ?? before.name);
            throw error;
          }
        }
        if (change.memberIds !== undefined) {
          await checkMembers(tx, tenantId, change.memberIds);
          const wanted = new Set(change.memberIds);
          const gone = before.memberIds.filter((id) => !wanted.has(id));
          const added = change.memberIds.filter((id) => !before.memberIds.includes(id));
          if (gone.length > 0) await tx.groupMember.deleteMany({ where: { tenantId, groupId, userId: { in: gone } } });
          if (added.length > 0) await tx.groupMember.createMany({ data: added.map((userId) => ({ tenantId, groupId, userId })) });
          // Membership is part of the group: its updatedAt moves with it.
          if (gone.length + added.length > 0) await tx.group.update({ where: { tenantId_id: { tenantId, id: groupId } }, data: { updatedAt: new Date() } });
        }
        const after = toGroup(await find(tx, tenantId, groupId));
        const diff = changedFields(before, after);
        if (Object.keys(diff.after).length > 0) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "group.updated", entity: { type: "group", id: groupId }, ...diff });
        }
        return after;
      });
    },

    async remove(principal: TenantPrincipal, groupId: string, requestId?: string): Promise<void> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1 FROM "Group" WHERE "tenantId" = ${tenantId}::uuid AND id = ${groupId}::uuid FOR UPDATE`;
        const group = toGroup(await find(tx, tenantId, groupId));
        // Tickets keep their group in their history: refuse rather than rewrite them silently.
        const tickets = await tx.ticket.count({ where: { tenantId, groupId } });
        if (tickets > 0) throw problems.conflict("group_has_tickets", `${tickets} ticket${tickets === 1 ? "" : "s"} belong to this group; move them to another group first.`);
        await tx.group.delete({ where: { tenantId_id: { tenantId, id: groupId } } });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "group.deleted", entity: { type: "group", id: groupId }, before: group });
      });
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
