import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { RoutingRuleService } from "./rule-service.ts";

export function routingRuleHandlers(rules: RoutingRuleService): Pick<Handlers, "listRoutingRules" | "createRoutingRule" | "getRoutingRule" | "updateRoutingRule" | "deleteRoutingRule"> {
  return {
    listRoutingRules: async (request) => rules.list(callerOf(request)),
    createRoutingRule: async (request, reply) => {
      reply.status(201);
      return rules.create(callerOf(request), request.body, request.id);
    },
    getRoutingRule: async (request) => rules.get(callerOf(request), request.params.ruleId),
    updateRoutingRule: async (request) => rules.update(callerOf(request), request.params.ruleId, request.body, request.id),
    deleteRoutingRule: async (request, reply) => {
      await rules.remove(callerOf(request), request.params.ruleId, request.id);
      reply.status(204);
    },
  };
}
