import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { UserService } from "./service.ts";

export function userHandlers(users: UserService): Pick<Handlers, "listUsers" | "createUser" | "getUser" | "updateUser" | "deactivateUser"> {
  return {
    listUsers: async (request) => users.list(callerOf(request), request.query),
    createUser: async (request, reply) => {
      reply.status(201);
      return users.create(callerOf(request), request.body, request.id);
    },
    getUser: async (request) => users.get(callerOf(request), request.params.userId),
    updateUser: async (request) => users.update(callerOf(request), request.params.userId, request.body, request.id),
    deactivateUser: async (request, reply) => {
      await users.deactivate(callerOf(request), request.params.userId, request.id);
      reply.status(204);
    },
  };
}
