import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { SlaService } from "./service.ts";

export function slaHandlers(
  sla: SlaService,
): Pick<
  Handlers,
  | "listSchedules"
  | "createSchedule"
  | "getSchedule"
  | "updateSchedule"
  | "deleteSchedule"
  | "listSlaPolicies"
  | "createSlaPolicy"
  | "getSlaPolicy"
  | "updateSlaPolicy"
  | "deleteSlaPolicy"
  | "getSlaAttainment"
> {
  return {
    listSchedules: async (request) => sla.listSchedules(callerOf(request)),
    createSchedule: async (request, reply) => {
      reply.status(201);
      return sla.createSchedule(callerOf(request), request.body, request.id);
    },
    getSchedule: async (request) => sla.getSchedule(callerOf(request), request.params.scheduleId),
    updateSchedule: async (request) => sla.updateSchedule(callerOf(request), request.params.scheduleId, request.body, request.id),
    deleteSchedule: async (request, reply) => {
      await sla.deleteSchedule(callerOf(request), request.params.scheduleId, request.id);
      reply.status(204);
    },
    listSlaPolicies: async (request) => sla.listPolicies(callerOf(request)),
    createSlaPolicy: async (request, reply) => {
      reply.status(201);
      return sla.createPolicy(callerOf(request), request.body, request.id);
    },
    getSlaPolicy: async (request) => sla.getPolicy(callerOf(request), request.params.policyId),
    updateSlaPolicy: async (request) => sla.updatePolicy(callerOf(request), request.params.policyId, request.body, request.id),
    deleteSlaPolicy: async (request, reply) => {
      await sla.deletePolicy(callerOf(request), request.params.policyId, request.id);
      reply.status(204);
    },
    getSlaAttainment: async (request) => sla.attainment(callerOf(request), request.query),
  };
}
