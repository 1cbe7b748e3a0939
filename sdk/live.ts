// The live client: one WebSocket to GET /v1/stream that survives disconnects. It authenticates
// with a single-use stream ticket (POST /v1/stream/tickets through the SDK client, so an expired
// access token is refreshed the usual way), re-subscribes after every reconnect from the last
// event id each subscription saw (the server replays what was missed: no gap, no duplicate), and
// backs off with full jitter so a restarted server is not hit by every client at once.
// Browser-safe: it uses the WebSocket global only (browsers, Node ≥ 22).
import type { components } from "./schema.ts";
import type { DocketClient } from "./index.ts";

type Schemas = components["schemas"];
export type StreamServerMessage = Schemas["StreamServerMessage"];
export type StreamClientMessage = Schemas["StreamClientMessage"];
export type StreamTopic = Extract<StreamClientMessage, { type: "subscribe" }>["topic"];
export type LiveEvent = Schemas["Event"];
type ServerMessageOf<T extends StreamServerMessage["type"]> = Extract<StreamServerMessage, { type: T }>;
export type WelcomeMessage = ServerMessageOf<"welcome">;
export type TypingSignal = ServerMessageOf<"typing">;
export type PresenceSignal = ServerMessageOf<"presence">;
export type ReadReceipt = ServerMessageOf<"read">;
export type StreamError = ServerMessageOf<"error">;
/** A new notification of yours (pushed to every socket you have open, no subscription needed), with your unread count after it. */
export type NotificationMessage = ServerMessageOf<"notification">;

/** Why the client stopped for good: it will not reconnect by itself. */
export interface LiveStopped {
  /** `revoked` (close code 4003: log in again), `unauthorized` (no session to get a ticket with), `protocol` (4400), `closed` (close() was called). */
  reason: "revoked" | "unauthorized" | "protocol" | "closed";
  code?: number;
  detail?: string;
}

export type LiveStatus =
  | { state: "connecting"; attempt: number }
  | { state: "open"; welcome: WelcomeMessage }
  | { state: "reconnecting"; code: number; detail: string; delayMs: number }
  | ({ state: "stopped" } & LiveStopped);

interface Listeners {
  status: LiveStatus;
  typing: TypingSignal;
  presence: PresenceSignal;
  read: ReadReceipt;
  notification: NotificationMessage;
  error: StreamError;
}

export interface SubscribeOptions {
  /** Called with each event of the topic, in log order, replayed ones first. */
  onEvent: (event: LiveEvent) => void;
  /** Replay every event after this id first (e.g. the last one the page has shown). */
  after?: string;
  /**
   * The server no longer has the events after the last one seen (beyond the log's retention): refetch
   * over REST. The client then subscribes again from now on.
   */
  onResync?: () => void;
  /** Each time the subscription is live (after a reconnect too), with how many events were replayed. */
  onLive?: (replayed: number) => void;
}

export interface LiveSubscription {
  readonly id: string;
  readonly topic: StreamTopic;
  /** The id of the last event delivered: where a reconnect resumes. */
  readonly lastEventId: string | undefined;
  /** Resolves once the server has acknowledged the subscription (its replay delivered). */
  readonly live: Promise<void>;
  unsubscribe(): void;
}

export interface LiveClientOptions {
  /** Delay before the first reconnect attempt may be at most this long (ms). Default 500. */
  minDelayMs?: number;
  /** Backoff grows to at most this (ms). Default 30,000. */
  maxDelayMs?: number;
  /** The WebSocket implementation; defaults to the global one. */
  WebSocket?: typeof WebSocket;
}

export interface LiveClient {
  subscribe(topic: StreamTopic, options: SubscribeOptions): LiveSubscription;
  /** "I am typing": sent at most once per ticket every 2 s (the protocol's rate), so call it on every keystroke. */
  typing(ticketId: string, options?: { internal?: boolean }): void;
  /** "I have read the ticket up to this comment": a read receipt for others, an unread count for you. */
  markRead(ticketId: string, commentId: string): void;
  on<K extends keyof Listeners>(type: K, listener: (message: Listeners[K]) => void): () => void;
  readonly status: LiveStatus;
  close(): void;
}

const TYPING_INTERVAL_MS = 2_000;
const REVOKED = 4003;
const PROTOCOL_ABUSE = 4400;
const NORMAL = 1000;

interface Subscription {
  id: string;
  topic: StreamTopic;
  options: SubscribeOptions;
  lastEventId: string | undefined;
  active: boolean;
  markLive: () => void;
}

let subscriptionCounter = 0;

export function createLiveClient(docket: DocketClient, options: LiveClientOptions = {}): LiveClient {
  const WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
  const minDelayMs = options.minDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const subscriptions = new Map<string, Subscription>();
  const listeners: { [K in keyof Listeners]: Set<(message: Listeners[K]) => void> } = {
    status: new Set(),
    typing: new Set(),
    presence: new Set(),
    read: new Set(),
    notification: new Set(),
    error: new Set(),
  };
  const typingSentAt = new Map<string, number>();
  // Read markers made while disconnected: the latest per ticket is sent once connected.
  const pendingReads = new Map<string, string>();
  let status: LiveStatus = { state: "connecting", attempt: 0 };
  let socket: WebSocket | undefined;
  let welcomed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  function emit<K extends keyof Listeners>(type: K, message: Listeners[K]): void {
    for (const listener of listeners[type]) listener(message);
  }

  function setStatus(next: LiveStatus): void {
    status = next;
    emit("status", next);
  }

  const stopped = () => status.state === "stopped";

  function stop(why: LiveStopped): void {
    if (stopped()) return;
    clearTimeout(timer);
    setStatus({ state: "stopped", ...why });
    const open = socket;
    socket = undefined;
    if (open && open.readyState <= 1) open.close(NORMAL, "client closed");
  }

  function send(message: StreamClientMessage): boolean {
    if (!socket || socket.readyState !== 1 || !welcomed) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function sendSubscribe(subscription: Subscription): void {
    const message: StreamClientMessage = { type: "subscribe", id: subscription.id, topic: subscription.topic };
    if (subscription.lastEventId !== undefined) message.after = subscription.lastEventId;
    send(message);
  }

  async function connect(): Promise<void> {
    if (stopped()) return;
    setStatus({ state: "connecting", attempt });
    let url: URL;
    try {
      const { data, response } = await docket.POST("/v1/stream/tickets");
      if (stopped()) return;
      if (!data) {
        // 401 after the SDK's refresh failed: no session left. Other answers may pass (429, 503).
        if (response.status === 401 || response.status === 403) return stop({ reason: "unauthorized", code: response.status, detail: `POST /v1/stream/tickets answered ${response.status}` });
        return retry(response.status, `POST /v1/stream/tickets answered ${response.status}`);
      }
      url = new URL(data.url, docket.baseUrl);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    } catch (error) {
      return retry(0, `could not obtain a stream ticket: ${(error as Error).message}`);
    }
    const ws = new WebSocketImpl(url);
    socket = ws;
    welcomed = false;
    ws.onmessage = (message) => {
      if (socket !== ws || typeof message.data !== "string") return;
      receive(JSON.parse(message.data) as StreamServerMessage);
    };
    ws.onclose = (closed) => {
      if (socket !== ws) return;
      socket = undefined;
      welcomed = false;
      if (closed.code === REVOKED) return stop({ reason: "revoked", code: closed.code, detail: closed.reason });
      if (closed.code === PROTOCOL_ABUSE) return stop({ reason: "protocol", code: closed.code, detail: closed.reason });
      // 1001 (server going away), 4001 (token expired: the ticket request refreshes it),
      // 4008 (slow consumer), 1013 (server busy), 1006 (connection lost): reconnect and resume.
      retry(closed.code, closed.reason);
    };
  }

  function retry(code: number, detail: string): void {
    if (stopped()) return;
    // Full jitter: a random delay up to an exponentially growing cap.
    const cap = Math.min(maxDelayMs, minDelayMs * 2 ** attempt);
    const delayMs = Math.round(Math.random() * cap);
    attempt += 1;
    setStatus({ state: "reconnecting", code, detail, delayMs });
    timer = setTimeout(() => void connect(), delayMs);
  }

  function receive(message: StreamServerMessage): void {
    switch (message.type) {
      case "welcome":
        welcomed = true;
        attempt = 0;
        setStatus({ state: "open", welcome: message });
        for (const subscription of subscriptions.values()) sendSubscribe(subscription);
        for (const [ticketId, commentId] of pendingReads) send({ type: "read", ticketId, commentId });
        pendingReads.clear();
        return;
      case "event": {
        const subscription = subscriptions.get(message.subscriptionId);
        if (!subscription?.active) return;
        subscription.lastEventId = message.event.id;
        subscription.options.onEvent(message.event);
        return;
      }
      case "subscribed": {
        const subscription = subscriptions.get(message.id);
        if (!subscription?.active) return;
        // Where the subscription starts: a client that gets no event before the connection drops
        // resumes from here, so what was committed meanwhile is still replayed.
        subscription.lastEventId ??= message.resumeAfter ?? undefined;
        subscription.markLive();
        subscription.options.onLive?.(message.replayed);
        return;
      }
      case "unsubscribed":
        // The user may no longer see the topic (or we asked): do not resubscribe after a reconnect.
        subscriptions.delete(message.id);
        return;
      case "error":
        if (message.code === "unknown_resume_point" && message.ref !== undefined) {
          const subscription = subscriptions.get(message.ref);
          if (subscription?.active) {
            subscription.lastEventId = undefined;
            subscription.options.onResync?.();
            sendSubscribe(subscription);
          }
        }
        emit("error", message);
        return;
      case "typing":
      case "presence":
      case "read":
      case "notification":
        emit(message.type, message as never);
        return;
    }
  }

  // After the caller has had the chance to add listeners: they see the first "connecting" too.
  queueMicrotask(() => void connect());

  return {
    get status() {
      return status;
    },
    subscribe(topic, subscribeOptions) {
      let markLive = () => {};
      const live = new Promise<void>((resolve) => (markLive = resolve));
      subscriptionCounter += 1;
      const subscription: Subscription = {
        id: `s${subscriptionCounter}`,
        topic,
        options: subscribeOptions,
        lastEventId: subscribeOptions.after,
        active: true,
        markLive,
      };
      subscriptions.set(subscription.id, subscription);
      sendSubscribe(subscription);
      return {
        id: subscription.id,
        topic,
        live,
        get lastEventId() {
          return subscription.lastEventId;
        },
        unsubscribe() {
          subscription.active = false;
          subscriptions.delete(subscription.id);
          send({ type: "unsubscribe", id: subscription.id });
        },
      };
    },
    typing(ticketId, typingOptions = {}) {
      const internal = typingOptions.internal ?? false;
      const key = `${ticketId}:${internal}`;
      const now = Date.now();
      if (now - (typingSentAt.get(key) ?? -Infinity) < TYPING_INTERVAL_MS) return;
      if (send({ type: "typing", ticketId, internal })) typingSentAt.set(key, now);
    },
    markRead(ticketId, commentId) {
      if (!send({ type: "read", ticketId, commentId })) pendingReads.set(ticketId, commentId);
    },
    on(type, listener) {
      listeners[type].add(listener);
      return () => listeners[type].delete(listener);
    },
    close() {
      stop({ reason: "closed" });
    },
  };
}
