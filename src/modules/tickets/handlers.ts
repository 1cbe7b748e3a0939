import type { FastifyReply, FastifyRequest } from "fastify";
import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import { etagMatches, etagOf } from "../../core/etag.ts";
import type { Outcome } from "../../core/idempotency.ts";
import type { EventService } from "../events/service.ts";
import type { TicketService } from "./service.ts";
import type { Ticket } from "./representation.ts";

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

/** Status, ETag and Stripe's Idempotent-Replayed header for a possibly replayed response. */
export function sendOutcome<T>(reply: FastifyReply, outcome: Outcome<T>, etag?: string): T {
  reply.status(outcome.status);
  if (outcome.replayed) reply.header("idempotent-replayed", "true");
  if (etag) reply.header("etag", etag);
  return outcome.body;
}

export function ticketHandlers(tickets: TicketService, events: EventService): Pick<
  Handlers,
  "createTicket" | "listTickets" | "getTicketStats" | "bulkUpdateTickets" | "getTicket" | "updateTicket" | "deleteTicket" | "restoreTicket" | "listTicketActivity"
> {
  const withEtag = (reply: FastifyReply, ticket: Ticket) => {
    reply.header("etag", etagOf(ticket.version));
    return ticket;
  };
  return {
    createTicket: async (request, reply) => {
      const outcome = await tickets.create(callerOf(request), request.body, { idempotencyKey: header(request, "idempotency-key"), requestId: request.id });
      return sendOutcome(reply, outcome, etagOf(outcome.body.version));
    },
    listTickets: async (request) => tickets.list(callerOf(request), request.query),
    getTicketStats: async (request) => tickets.stats(callerOf(request)),
    bulkUpdateTickets: async (request) => tickets.bulkUpdate(callerOf(request), request.body, request.id),
    getTicket: async (request, reply) => {
      const ticket = await tickets.get(callerOf(request), request.params.ticketId);
      const ifNoneMatch = header(request, "if-none-match");
      const etag = etagOf(ticket.version, ticket.unreadCount);
      reply.header("etag", etag);
      // A running SLA clock changes the representation with every second (elapsed, breached), not
      // only with the version: no 304 while one runs.
      const ticking = ticket.sla?.metrics.some((metric) => metric.status === "active") ?? false;
      if (ifNoneMatch && !ticking && etagMatches(ifNoneMatch, ticket.version, ticket.unreadCount)) return reply.status(304).send();
      return ticket;
    },
    updateTicket: async (request, reply) =>
      withEtag(reply, await tickets.update(callerOf(request), request.params.ticketId, request.body, header(request, "if-match"), request.id)),
    deleteTicket: async (request, reply) => {
      await tickets.remove(callerOf(request), request.params.ticketId, request.id);
      reply.status(204);
    },
    restoreTicket: async (request) => tickets.restore(callerOf(request), request.params.ticketId, request.id),
    listTicketActivity: async (request) => events.ticketActivity(callerOf(request), request.params.ticketId, request.query),
  };
}
