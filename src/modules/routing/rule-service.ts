// The admin's routing rules: an ordered list (positions 1..n, no gaps), at most MAX_RULES.
// Creating at a position, moving and deleting renumber the others in the same transaction, under
// a per-tenant advisory lock so two admins reordering at once cannot interleave.
import type { Database, Db } from "../../db/client.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import { requireRole, type TenantPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { toRoutingRule, type RoutingRule } from "./representation.ts";

const MAX_RULES = 100;
const checkCanManage = (principal: TenantPrincipal) => requireRole(principal, ["admin"], "manage routing rules");

async function lockRules(tx: Db, tenantId: string): Promise<number> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`routing-rules:${tenantId}`}, 0))`;
  return tx.routingRule.count({ where: { tenantId } });
}

async function checkActions(tx: Db, tenantId: string, actions: Schemas["RoutingActions"] | undefined): Promise<void> {
  if (!actions?.groupId) return;
  const group = await tx.group.findUnique({ where: { tenantId_id: { tenantId, id: actions.groupId } }, select: { id: true } });
  if (!group) throw problems.invalidField("/actions/groupId", "is not a group of this tenant");
}

/** Moves the rules in [from, to] by `by` (positions are not unique mid-statement, so no constraint trips). */
async function shift(tx: Db, tenantId: string, from: number, to: number, by: number): Promise<void> {
  await tx.$executeRaw`UPDATE "RoutingRule" SET position = position + ${by} WHERE "tenantId" = ${tenantId}::uuid AND position BETWEEN ${from} AND ${to}`;
}

export function createRoutingRuleService(db: Database) {
  async function find(tx: Db, tenantId: string, ruleId: string) {
    const rule = await tx.routingRule.findUnique({ where: { tenantId_id: { tenantId, id: ruleId } } });
    if (!rule) throw problems.notFound("routing rule", ruleId);
    return rule;
  }

  return {
    async list(principal: TenantPrincipal): Promise<Schemas["RoutingRuleList"]> {
      checkCanManage(principal);
      const rows = await db.routingRule.findMany({ where: { tenantId: principal.tenantId }, orderBy: [{ position: "asc" }, { createdAt: "asc" }] });
      return { data: rows.map(toRoutingRule), nextCursor: null };
    },

    async get(principal: TenantPrincipal, ruleId: string): Promise<RoutingRule> {
      checkCanManage(principal);
      return toRoutingRule(await find(db, principal.tenantId, ruleId));
    },

    async create(principal: TenantPrincipal, input: Schemas["RoutingRuleCreate"], requestId?: string): Promise<RoutingRule> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const count = await lockRules(tx, tenantId);
        if (count >= MAX_RULES) throw problems.conflict("too_many_rules", `A tenant has at most ${MAX_RULES} routing rules.`);
        await checkActions(tx, tenantId, input.actions);
        const position = Math.min(input.position ?? count + 1, count + 1);
        await shift(tx, tenantId, position, count, 1);
        const row = await tx.routingRule.create({
          data: {
            tenantId,
            name: input.name,
            position,
            active: input.active ?? true,
            conditions: input.conditions as Prisma.InputJsonValue,
            actions: input.actions as Prisma.InputJsonValue,
          },
        });
        const rule = toRoutingRule(row);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "routing_rule.created", entity: { type: "routing_rule", id: rule.id }, after: rule });
        return rule;
      });
    },

    async update(principal: TenantPrincipal, ruleId: string, change: Schemas["RoutingRuleUpdate"], requestId?: string): Promise<RoutingRule> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      return db.$transaction(async (tx) => {
        const count = await lockRules(tx, tenantId);
        const current = await find(tx, tenantId, ruleId);
        await checkActions(tx, tenantId, change.actions);
        const position = change.position === undefined ? current.position : Math.min(change.position, count);
        if (position < current.position) await shift(tx, tenantId, position, current.position - 1, 1);
        if (position > current.position) await shift(tx, tenantId, current.position + 1, position, -1);
        const row = await tx.routingRule.update({
          where: { tenantId_id: { tenantId, id: ruleId } },
          data: {
            name: change.name,
            position,
            active: change.active,
            conditions: change.conditions as Prisma.InputJsonValue | undefined,
            actions: change.actions as Prisma.InputJsonValue | undefined,
          },
        });
        const before = toRoutingRule(current);
        const after = toRoutingRule(row);
        const diff = changedFields(before, after);
        if (Object.keys(diff.after).length > 0) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "routing_rule.updated", entity: { type: "routing_rule", id: ruleId }, ...diff });
        }
        return after;
      });
    },

    async remove(principal: TenantPrincipal, ruleId: string, requestId?: string): Promise<void> {
      checkCanManage(principal);
      const tenantId = principal.tenantId;
      await db.$transaction(async (tx) => {
        const count = await lockRules(tx, tenantId);
        const current = await find(tx, tenantId, ruleId);
        await tx.routingRule.delete({ where: { tenantId_id: { tenantId, id: ruleId } } });
        await shift(tx, tenantId, current.position + 1, count, -1);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "routing_rule.deleted", entity: { type: "routing_rule", id: ruleId }, before: toRoutingRule(current) });
      });
    },
  };
}

export type RoutingRuleService = ReturnType<typeof createRoutingRuleService>;
