// @fastify/websocket: WebSocket upgrades go through the same routing and hooks as every request
// (authentication, roles, rate limits refuse them with a problem before the upgrade); the
// contract's WebSocket operations get a wsHandler beside their HTTP handler (see app.ts).
import type { FastifyInstance } from "fastify";
import websocket from "@fastify/websocket";
import { STREAM_SUBPROTOCOL } from "./authentication.ts";

export interface WebsocketOptions {
  /** ws refuses (1009) frames larger than this before reading them; the stream's own, smaller limit closes 4400. */
  maxPayloadBytes: number;
  /** Runs when the app closes, before the server stops: the stream says goodbye (1001). */
  beforeClose: () => Promise<void>;
}

export async function registerWebsocket(app: FastifyInstance, options: WebsocketOptions): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: options.maxPayloadBytes,
      // The bearer subprotocol carries the token in; the answer names only docket.v1.
      handleProtocols: (protocols) => (protocols.has(STREAM_SUBPROTOCOL) ? STREAM_SUBPROTOCOL : false),
      perMessageDeflate: false,
    },
    preClose: async function (this: FastifyInstance) {
      await options.beforeClose();
      this.websocketServer.close();
      // A client told to resume elsewhere may reconnect at once, before the server stops
      // listening; the stream turns it away (1001) but its socket would still hold the server's
      // close for ws's 30 s closing handshake, or for as long as the client keeps it. Cut them.
      for (const client of this.websocketServer.clients) client.terminate();
    },
  });
}
