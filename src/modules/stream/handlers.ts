import type { FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import type { StreamService } from "./service.ts";

type StreamHandlers = Pick<Handlers, "createStreamTicket" | "getStream">;

export function streamHandlers(stream: StreamService): StreamHandlers {
  return {
    createStreamTicket: async (request, reply) => {
      reply.status(201);
      return stream.createTicket(userOf(request));
    },
    // Reached only without an upgrade (the authentication hook refuses those first, so this is
    // the backstop): the operation is a WebSocket.
    getStream: async () => {
      throw problems.upgradeRequired("GET /v1/stream is a WebSocket: connect with Upgrade: websocket.");
    },
  };
}

/** The upgraded socket of getStream: the hub takes it over. */
export function streamSocketHandler(stream: StreamService) {
  return (socket: WebSocket, request: FastifyRequest) => {
    stream.hub.accept(socket, userOf(request));
  };
}
