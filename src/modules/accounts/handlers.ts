import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { AccountService } from "./service.ts";

export function accountHandlers(accounts: AccountService): Pick<Handlers, "createInvitation" | "acceptInvitation" | "requestPasswordReset" | "confirmPasswordReset"> {
  return {
    createInvitation: async (request, reply) => {
      reply.status(201);
      return accounts.invite(callerOf(request), request.body, request.id);
    },
    acceptInvitation: async (request, reply) => {
      reply.status(201);
      return accounts.acceptInvitation(request.body, { userAgent: request.headers["user-agent"], requestId: request.id });
    },
    requestPasswordReset: async (request, reply) => {
      await accounts.requestPasswordReset(request.body);
      reply.status(202);
      return { detail: "If this organisation has an account with this email, a link to reset its password is on its way." };
    },
    confirmPasswordReset: async (request, reply) => {
      await accounts.confirmPasswordReset(request.body, { requestId: request.id });
      reply.status(204);
    },
  };
}
