import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { TenantService } from "./service.ts";

export function tenantHandlers(tenants: TenantService): Pick<Handlers, "getTenant" | "updateTenant"> {
  return {
    getTenant: async (request) => tenants.get(callerOf(request).tenantId),
    updateTenant: async (request) => tenants.updateOwn(callerOf(request), request.body, request.id),
  };
}
