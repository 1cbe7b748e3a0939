import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { GroupService } from "./service.ts";

export function groupHandlers(groups: GroupService): Pick<Handlers, "listGroups" | "createGroup" | "getGroup" | "updateGroup" | "deleteGroup"> {
  return {
    listGroups: async (request) => groups.list(callerOf(request), request.query),
    createGroup: async (request, reply) => {
      reply.status(201);
      return groups.create(callerOf(request), request.body, request.id);
    },
    getGroup: async (request) => groups.get(callerOf(request), request.params.groupId),
    updateGroup: async (request) => groups.update(callerOf(request), request.params.groupId, request.body, request.id),
    deleteGroup: async (request, reply) => {
      await groups.remove(callerOf(request), request.params.groupId, request.id);
      reply.status(204);
    },
  };
}
