import type { RoutingRule as RoutingRuleRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type RoutingRule = Schemas["RoutingRule"];

export function toRoutingRule(row: RoutingRuleRow): RoutingRule {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    active: row.active,
    conditions: row.conditions as RoutingRule["conditions"],
    actions: row.actions as RoutingRule["actions"],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
