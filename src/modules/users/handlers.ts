import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import type { UserService } from "./service.ts";

export function userHandlers(users: UserService): Pick<Handlers, "listUsers" | "createUser" | "getUser" | "updateUser" | "deactivateUser"> {
  return {
    listUsers: async (request) => users.list(userOf(request), request.query),
    createUser: async (request, reply) => {
      reply.status(201);
      return users.create(userOf(request), request.body, request.id);
    },
    getUser: async (request) => users.get(userOf(request), request.params.userId),
    updateUser: async (request) => users.update(userOf(request), request.params.userId, request.body, request.id),
    deactivateUser: async (request, reply) => {
      await users.deactivate(userOf(request), request.params.userId, request.id);
      reply.status(204);
    },
  };
}
