// Request metrics: one count and one duration per answered request, labelled by the route's
// contract operationId (never the raw URL, which would give a series per ticket id).
import type { FastifyInstance } from "fastify";
import type { Metrics } from "../metrics.ts";

export function registerRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook("onResponse", async (request, reply) => {
    const operation = request.routeOptions.config.operationId ?? "unknown";
    metrics.requests.inc({ operation, method: request.method, status: String(reply.statusCode) });
    metrics.requestDuration.observe({ operation }, reply.elapsedTime / 1000);
  });
}
