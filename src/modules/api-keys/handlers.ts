import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { ApiKeyService } from "./service.ts";

export function apiKeyHandlers(apiKeys: ApiKeyService): Pick<Handlers, "listApiKeys" | "createApiKey" | "revokeApiKey"> {
  return {
    listApiKeys: async (request) => apiKeys.list(callerOf(request), request.query),
    createApiKey: async (request, reply) => {
      reply.status(201);
      return apiKeys.create(callerOf(request), request.body, request.id);
    },
    revokeApiKey: async (request, reply) => {
      await apiKeys.revoke(callerOf(request), request.params.apiKeyId, request.id);
      reply.status(204);
    },
  };
}
