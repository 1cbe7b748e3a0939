// Whose rows the application's connections may see: the tenant of the work in progress, carried
// through async calls, so that row-level security (prisma/migrations/*_row_level_security) holds
// for every query a tenant's request makes without any service having to pass it along. Outside a
// scope, the application's queries run with no tenant and see no tenant-owned row (fail closed).
import { AsyncLocalStorage } from "node:async_hooks";

const scopes = new AsyncLocalStorage<string>();

/** The text a connection's `docket.tenant_id` holds when no tenant is in scope (the policies read it as none). */
export const NO_TENANT = "";

export const tenantScope = {
  /**
   * Runs `work` (and everything it awaits or starts) with the application's queries scoped to
   * `tenantId`. A Prisma query runs when it is awaited, not when it is built: await it inside.
   */
  run<T>(tenantId: string, work: () => T): T {
    return scopes.run(tenantId, work);
  },

  /** The tenant in scope, or NO_TENANT. */
  current(): string {
    return scopes.getStore() ?? NO_TENANT;
  },
};
