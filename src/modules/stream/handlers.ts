import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
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
    const principal = userOf(request);
    releaseUpgradeRequest(socket, request);
    stream.hub.accept(socket, principal);
  };
}

/**
 * Lets go of everything the upgrade request held once the hub takes the socket over. Otherwise
 * each socket keeps its request alive for its whole life (kilobytes each at 10,000 sockets, and
 * the bearer token in its headers): the TCP socket still points at the response
 * @fastify/websocket made for routing, and that plugin's error listener closes over the request
 * and reply. The hub adds its own error listener.
 */
function releaseUpgradeRequest(socket: WebSocket, request: FastifyRequest): void {
  const tcp = request.raw.socket as (Socket & { _httpMessage?: ServerResponse | null }) | null;
  const response = tcp?._httpMessage;
  if (tcp && response) response.detachSocket(tcp);
  socket.removeAllListeners("error");
}
