import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { ExportService } from "./service.ts";

/** The body is a stream: Fastify pipes it with backpressure and destroys it if the client goes away. */
export function exportHandlers(exports: ExportService): Pick<Handlers, "exportTickets" | "exportEvents"> {
  return {
    exportTickets: async (request, reply) => {
      const download = await exports.tickets(callerOf(request), request.query);
      return reply.headers(download.headers).send(download.body);
    },
    exportEvents: async (request, reply) => {
      const download = await exports.events(callerOf(request), request.query);
      return reply.headers(download.headers).send(download.body);
    },
  };
}
