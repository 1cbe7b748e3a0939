import type { Handlers } from "../../core/contract-types.ts";
import { operatorOf } from "../../core/principal.ts";
import type { PlatformService } from "./service.ts";

export function platformHandlers(
  platform: PlatformService,
): Pick<Handlers, "listPlatformTenants" | "createPlatformTenant" | "getPlatformTenant" | "updatePlatformTenant" | "deletePlatformTenant"> {
  return {
    listPlatformTenants: async (request) => platform.list(operatorOf(request), request.query),
    createPlatformTenant: async (request, reply) => {
      reply.status(201);
      return platform.create(operatorOf(request), request.body, request.id);
    },
    getPlatformTenant: async (request) => platform.get(operatorOf(request), request.params.tenantId),
    updatePlatformTenant: async (request) => platform.update(operatorOf(request), request.params.tenantId, request.body, request.id),
    deletePlatformTenant: async (request, reply) => {
      await platform.remove(operatorOf(request), request.params.tenantId, request.id);
      reply.status(204);
    },
  };
}
