// How many exports run at once. Each holds a database connection for as long as its client reads,
// so without a cap a few slow downloads could take the whole pool from ordinary requests. A caller
// over the cap is told to come back (429 with Retry-After), the way Zendesk limits its exports.
import { Problem } from "./problem.ts";

export interface ExportSlotLimits {
  /** Exports of one tenant at once, in this process. */
  perTenant: number;
  /** Exports of all tenants at once, in this process. */
  total: number;
}

const RETRY_AFTER_SECONDS = 10;

export function createExportSlots(limits: ExportSlotLimits) {
  const byTenant = new Map<string, number>();
  let total = 0;
  return {
    /** Takes a slot or throws 429; the returned function gives it back (once, however often called). */
    take(tenantId: string): () => void {
      const mine = byTenant.get(tenantId) ?? 0;
      if (mine >= limits.perTenant || total >= limits.total) {
        throw new Problem(429, "export_limit", "Too many exports", `${mine >= limits.perTenant ? `Your tenant already has ${mine} exports running` : "This server is busy with other exports"}; retry in ${RETRY_AFTER_SECONDS} s.`, {
          headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
        });
      }
      byTenant.set(tenantId, mine + 1);
      total++;
      let given = false;
      return () => {
        if (given) return;
        given = true;
        total--;
        const left = (byTenant.get(tenantId) ?? 1) - 1;
        if (left > 0) byTenant.set(tenantId, left);
        else byTenant.delete(tenantId);
      };
    },
  };
}

export type ExportSlots = ReturnType<typeof createExportSlots>;
