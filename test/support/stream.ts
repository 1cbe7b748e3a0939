// A real WebSocket client of GET /v1/stream (the `ws` package), for tests: it records every
// message and the close, and waits for what a test expects.
import WebSocket from "ws";
import type { DocketClient, Schemas } from "../../sdk/index.ts";

export type ServerMessage = Schemas["StreamServerMessage"];
export type EventMessage = Schemas["StreamEventMessage"];

export interface StreamSocket {
  ws: WebSocket;
  messages: ServerMessage[];
  welcome: Schemas["StreamWelcome"];
  send(message: Schemas["StreamClientMessage"] | Record<string, unknown>): void;
  /** The first message (from the start, or after `since` messages) that matches. */
  next<T extends ServerMessage["type"]>(type: T, match?: (message: Extract<ServerMessage, { type: T }>) => boolean, since?: number): Promise<Extract<ServerMessage, { type: T }>>;
  /** Subscribes and waits until the subscription is live. */
  subscribe(id: string, topic: Schemas["StreamTopic"], after?: string): Promise<Schemas["StreamSubscribed"]>;
  events(subscriptionId?: string): Schemas["Event"][];
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

const WAIT_MS = 5_000;

export function streamUrl(baseUrl: string, ticket?: string): string {
  return `${baseUrl.replace(/^http/, "ws")}/v1/stream${ticket ? `?ticket=${encodeURIComponent(ticket)}` : ""}`;
}

export async function ticketFor(client: DocketClient): Promise<string> {
  const { data, error } = await client.POST("/v1/stream/tickets");
  if (!data) throw new Error(`no stream ticket: ${JSON.stringify(error)}`);
  return data.ticket;
}

/** Opens the stream with a fresh ticket of this client (or its token as a subprotocol), and waits for the welcome. */
export async function openStream(baseUrl: string, client: DocketClient, how: "ticket" | "bearer" = "ticket"): Promise<StreamSocket> {
  const ws =
    how === "ticket"
      ? new WebSocket(streamUrl(baseUrl, await ticketFor(client)))
      : new WebSocket(streamUrl(baseUrl), ["docket.v1", `docket.bearer.${client.tokens.accessToken}`]);
  return attach(ws);
}

export function attach(ws: WebSocket): Promise<StreamSocket> {
  const messages: ServerMessage[] = [];
  const listeners = new Set<() => void>();
  let closeInfo: { code: number; reason: string } | undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
      for (const listener of listeners) listener();
    });
  });
  ws.on("message", (data) => {
    messages.push(JSON.parse(data.toString()) as ServerMessage);
    for (const listener of listeners) listener();
  });
  ws.on("error", () => {});

  const next: StreamSocket["next"] = (type, match, since = 0) =>
    new Promise((resolve, reject) => {
      const look = () => {
        const found = messages.slice(since).find((message) => message.type === type && (!match || match(message as never)));
        if (found) {
          done();
          resolve(found as never);
        } else if (closeInfo) {
          done();
          reject(new Error(`closed ${closeInfo.code} ${closeInfo.reason} before a ${type}; got ${JSON.stringify(messages).slice(0, 2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${type} within ${WAIT_MS} ms; got ${JSON.stringify(messages).slice(0, 2000)}`));
      }, WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(look);
      };
      listeners.add(look);
      look();
    });

  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_request, response) => reject(new Error(`refused: ${response.statusCode}`)));
    ws.once("error", reject);
    ws.once("open", async () => {
      const socket: StreamSocket = {
        ws,
        messages,
        welcome: undefined as never,
        send: (message) => ws.send(JSON.stringify(message)),
        next,
        async subscribe(id, topic, after) {
          socket.send({ type: "subscribe", id, topic, ...(after ? { after } : {}) });
          return next("subscribed", (message) => message.id === id);
        },
        events: (subscriptionId) =>
          messages.filter((message): message is EventMessage => message.type === "event" && (subscriptionId === undefined || message.subscriptionId === subscriptionId)).map((message) => message.event),
        closed,
        async close() {
          if (ws.readyState !== WebSocket.CLOSED) {
            ws.close();
            await closed;
          }
        },
      };
      try {
        socket.welcome = await next("welcome");
        resolve(socket);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** The HTTP answer to an upgrade the server refused. */
export function refusal(url: string, protocols?: string[]): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once("unexpected-response", (_request, response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, contentType: String(response.headers["content-type"] ?? "") }));
    });
    ws.once("open", () => {
      ws.close();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => {});
  });
}
