import type { Handlers } from "../../http/contract-types.ts";
import { userOf } from "../../http/authentication.ts";
import type { TenantService } from "./service.ts";

export function tenantHandlers(tenants: TenantService): Pick<Handlers, "getTenant" | "updateTenant"> {
  return {
    getTenant: async (request) => tenants.get(userOf(request).tenantId),
    updateTenant: async (request) => {
      const principal = userOf(request);
      return tenants.update(principal.tenantId, { actor: { type: "user", id: principal.userId }, requestId: request.id }, request.body);
    },
  };
}
