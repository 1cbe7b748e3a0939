// Probes, metrics and the contract itself.
import type pg from "pg";
import type { Registry } from "prom-client";
import type { Handlers } from "../../core/contract-types.ts";
import type { Contract } from "../../core/contract.ts";
import { problems } from "../../core/problem.ts";
import { migrationsApplied } from "../../db/migrate.ts";

export function systemHandlers(contract: Contract, pool: pg.Pool, metrics: Registry): Pick<Handlers, "getHealth" | "getReadiness" | "getMetrics" | "getOpenApiJson" | "getOpenApiYaml"> {
  return {
    getHealth: async () => ({ status: "ok" }),
    getReadiness: async () => {
      let applied: boolean;
      try {
        applied = await migrationsApplied(async (sql) => (await pool.query<{ migration_name: string }>(sql)).rows);
      } catch {
        throw problems.notReady("The database does not answer.");
      }
      if (!applied) throw problems.notReady("Migrations are pending.");
      return { status: "ready", checks: { database: "ok", migrations: "ok" } };
    },
    // The Prometheus text format (the authentication hook has checked METRICS_TOKEN).
    getMetrics: async (_request, reply) => {
      reply.type(metrics.contentType);
      return metrics.metrics();
    },
    // Strings are sent as they are: the document is served byte for byte, not re-serialized.
    getOpenApiJson: async (_request, reply) => {
      reply.type("application/json");
      return contract.json;
    },
    getOpenApiYaml: async (_request, reply) => {
      reply.type("application/yaml");
      return contract.yaml;
    },
  };
}
