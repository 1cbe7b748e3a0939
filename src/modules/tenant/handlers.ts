import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import type { TenantService } from "./service.ts";

export function tenantHandlers(tenants: TenantService): Pick<Handlers, "getTenant" | "updateTenant"> {
  return {
    getTenant: async (request) => tenants.get(userOf(request).tenantId),
    updateTenant: async (request) => tenants.updateOwn(userOf(request), request.body, request.id),
  };
}
