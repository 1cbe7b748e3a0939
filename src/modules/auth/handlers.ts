import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import type { AuthService } from "./service.ts";

type AuthHandlers = Pick<Handlers, "signup" | "login" | "refreshTokens" | "logout" | "getMe">;

export function authHandlers(auth: AuthService): AuthHandlers {
  return {
    signup: async (request, reply) => {
      reply.status(201);
      return auth.signup(request.body, { userAgent: request.headers["user-agent"], requestId: request.id });
    },
    login: async (request) => auth.login(request.body, { userAgent: request.headers["user-agent"], requestId: request.id }),
    refreshTokens: async (request) => auth.refresh(request.body.refreshToken, { requestId: request.id }),
    logout: async (request, reply) => {
      await auth.logout(request.body.refreshToken, { requestId: request.id });
      reply.status(204);
    },
    getMe: async (request) => auth.me(userOf(request)),
  };
}
