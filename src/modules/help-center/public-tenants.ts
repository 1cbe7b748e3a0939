// The public help center is addressed by tenant slug, before any tenant is in scope: the look-up
// crosses tenants (database.system). Answers are kept a few seconds so a busy help center does not
// take the small system pool for every request; a tenant suspended or deleted stops being served
// within that time.
import type { Database } from "../../db/client.ts";
import { problems } from "../../core/problem.ts";

const TTL_MS = 5_000;
const MAX_ENTRIES = 10_000;

export interface PublicTenants {
  /** The id of the active tenant with this slug, or a 404 (unknown, suspended and deleted alike). */
  resolve(slug: string): Promise<string>;
}

export function createPublicTenants(system: Database, ttlMs = TTL_MS): PublicTenants {
  const cache = new Map<string, { tenantId: string | null; until: number }>();
  return {
    async resolve(slug) {
      const now = Date.now();
      let entry = cache.get(slug);
      if (!entry || entry.until <= now) {
        const tenant = await system.tenant.findUnique({ where: { slug }, select: { id: true, status: true, deletedAt: true } });
        entry = { tenantId: tenant && tenant.status === "active" && !tenant.deletedAt ? tenant.id : null, until: now + ttlMs };
        cache.delete(slug); // re-inserted last: the oldest entries are evicted first
        if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(slug, entry);
      }
      if (entry.tenantId === null) throw problems.notFound("help center", slug);
      return entry.tenantId;
    },
  };
}
