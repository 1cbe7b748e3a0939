// The live stream's hub: this instance's sockets, their subscriptions, and the fan-out of each
// batch the feed reader hands over. Per batch and tenant, events are presented once per viewer
// class (admins, agents, each user) and serialized once; the bytes of each event message are built
// once per (viewer class, subscription id) and the same Buffer is sent to every socket that gets it
// (ws writes a Buffer as it is), so a delivery costs no serialization and no copy.
//
// No gap, no duplicate: a subscription is registered at the reader's position L (synchronously,
// so every later batch reaches it), replays (after, L] from the database while live events wait
// in its buffer, then says `subscribed` and flushes the buffer. An `after` already past L (seen on
// a faster instance) becomes a floor below which live events are skipped.
import crypto from "node:crypto";
import type { WebSocket } from "ws";
import type { Database } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { Logger } from "../../logger.ts";
import type { UserPrincipal } from "../../core/principal.ts";
import { Problem } from "../../core/problem.ts";
import type { FeedEvent } from "../../events/feed.ts";
import { isDatabaseBusy } from "../../db/errors.ts";
import { EVENT_COLUMNS } from "../../events/feed.ts";
import { viewerOf, type EventPresenter } from "../../events/payload.ts";
import { inScope, type SessionChange } from "../auth/session-changes.ts";
import type { ClientMessage, ClientMessageParser, ParsedMessage } from "./client-messages.ts";
import { isAfter, positionOf, type FeedReader, type Position } from "./feed-reader.ts";
import { canFollowTenant, canSeeTicket, feedShows, mayHideTicket, viewerClass } from "./policy.ts";
import type { LiveSignal, SignalViewer, StreamSignals } from "./signals.ts";
import { STAFF_QUEUE } from "./signals.ts";
import type { Schemas } from "../../core/contract-types.ts";

export interface StreamSettings {
  heartbeatSeconds: number;
  /** Bytes a socket may have waiting (in the socket and in replay buffers) before it is closed 4008. */
  sendBufferBytes: number;
  /** The largest client message accepted; a larger one closes the socket 4400. */
  maxMessageBytes: number;
  /** Subscriptions one socket may hold at once. */
  maxSubscriptions: number;
}

type Topic = Schemas["StreamTopic"];
type ServerMessage = Schemas["StreamServerMessage"];

export const CLOSE = {
  shutdown: { code: 1001, reason: "Server shutting down: reconnect (another instance) and resume after your last event id." },
  expired: { code: 4001, reason: "Access token expired: get a new token or ticket, reconnect and resume after your last event id." },
  roleChanged: { code: 4001, reason: "Your role changed: get a new ticket, reconnect and resume after your last event id." },
  revoked: { code: 4003, reason: "Session ended (logout, deactivation, new password or suspension): log in again." },
  slow: { code: 4008, reason: "Send buffer overflowed (reading too slowly): reconnect and resume after your last event id." },
  tooLarge: { code: 4400, reason: "Message too large." },
  abuse: { code: 4400, reason: "Too many invalid messages: fix the client." },
  failed: { code: 1011, reason: "Events could not be delivered: reconnect and resume after your last event id." },
  busy: { code: 1013, reason: "Server busy: try again later (reconnect in a few seconds) and resume after your last event id." },
} as const;

/** A message's bytes: event messages are shared Buffers, the rest strings. */
type Frame = string | Buffer;

interface Subscription {
  id: string;
  connection: Connection;
  topic: Topic;
  /** Live events wait here while the replay runs; null once live. */
  buffer: Frame[] | null;
  /** Skip live events at or before this (an `after` past the reader's position). */
  floor: Position | null;
  ended: boolean;
}

interface Connection {
  id: string;
  socket: WebSocket;
  principal: UserPrincipal;
  viewerClass: string;
  subscriptions: Map<string, Subscription>;
  /** Bytes waiting in replay buffers. */
  buffered: number;
  missedPongs: number;
  invalidMessages: number;
  /** Token bucket for client messages. */
  allowance: number;
  allowanceAt: number;
  /** When its access ends (ms); the hub's one sweep closes it 4001 then. */
  expiresAt: number;
  closed: boolean;
  /** The welcome went out: messages not asked for (notifications) wait for it. */
  welcomed: boolean;
  /** Client messages are handled one at a time, in order. */
  work: Promise<void>;
}

interface Room {
  connections: Set<Connection>;
  feed: Set<Subscription>;
  tickets: Map<string, Set<Subscription>>;
}

export interface HubDeps {
  /** The tenant's queries (row-level security applies; the hub runs each in its tenant's scope). */
  db: Database;
  /** Across tenants: the periodic recheck of every socket's session. */
  system: Database;
  logger: Logger;
  settings: StreamSettings;
  reader: FeedReader;
  present: EventPresenter;
  signals: StreamSignals;
}

const REPLAY_PAGE = 500;
const MESSAGES_PER_SECOND = 20;
const MESSAGE_BURST = 40;
const MAX_INVALID_MESSAGES = 10;
const DRAIN_TIMEOUT_MS = 10_000;
/** How long a ticket subscription waits for the reader to pass the ticket's events (an open transaction can hold it back). */
const CATCH_UP_MS = 2_000;
/** How often the one expiry sweep runs: a socket closes at most this late after its token's exp. */
const EXPIRY_SWEEP_MS = 1_000;
/** ws sends a Buffer as a binary frame unless told otherwise; event messages are JSON text. */
const TEXT = { binary: false } as const;

function frameOf(message: ServerMessage): string {
  return JSON.stringify(message);
}

/** Event frames are built around the event's JSON, serialized once per viewer class. */
function eventFrame(subscriptionId: string, eventJson: string): string {
  return `{"type":"event","subscriptionId":${JSON.stringify(subscriptionId)},"event":${eventJson}}`;
}

/**
 * One event as one viewer class sees it, and its message bytes per subscription id, built on
 * first use: clients of the SDK tend to name their subscriptions alike, so most sockets share one.
 */
class EventFrames {
  readonly json: string;
  readonly #bySubscription = new Map<string, Buffer>();
  constructor(json: string) {
    this.json = json;
  }
  for(subscriptionId: string): Buffer {
    let frame = this.#bySubscription.get(subscriptionId);
    if (frame === undefined) {
      frame = Buffer.from(eventFrame(subscriptionId, this.json));
      this.#bySubscription.set(subscriptionId, frame);
    }
    return frame;
  }
}

export function createHub(deps: HubDeps) {
  const { db, system, logger, settings, reader, present, signals } = deps;
  const rooms = new Map<string, Room>();
  let size = 0;
  let closing = false;
  let parse: ClientMessageParser | undefined;

  const roomOf = (tenantId: string): Room => {
    let room = rooms.get(tenantId);
    if (!room) {
      room = { connections: new Set(), feed: new Set(), tickets: new Map() };
      rooms.set(tenantId, room);
    }
    return room;
  };

  // Token expiries: one sweep for every socket rather than a timer each (a timer per socket is
  // memory and bookkeeping at 10,000 sockets). Sockets wait in buckets by when they expire.
  const expiring = new Map<number, Set<Connection>>();
  const bucketOf = (ms: number) => Math.floor(ms / EXPIRY_SWEEP_MS);
  const schedule = (connection: Connection) => {
    const key = bucketOf(connection.expiresAt);
    const bucket = expiring.get(key);
    if (bucket) bucket.add(connection);
    else expiring.set(key, new Set([connection]));
  };
  const unschedule = (connection: Connection) => {
    const key = bucketOf(connection.expiresAt);
    const bucket = expiring.get(key);
    if (bucket?.delete(connection) && bucket.size === 0) expiring.delete(key);
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    const due = bucketOf(now);
    for (const [key, bucket] of expiring) {
      if (key > due) continue;
      for (const connection of [...bucket]) if (connection.expiresAt <= now) close(connection, CLOSE.expired);
    }
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  // Reads under way, by what they read: identical simultaneous resumes (a reconnect storm, where
  // thousands resume the same topic after the same event) share one round trip each.
  const reads = new Map<string, Promise<unknown>>();
  const shared = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let pending = reads.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = read().finally(() => reads.delete(key));
      reads.set(key, pending);
    }
    return pending;
  };
  const topicKey = (topic: Topic) => (topic.kind === "ticket" ? `ticket:${topic.ticketId}` : "tenant");
  const positionKey = (position: Position) => `${position.txId}:${position.seq}`;

  const viewerOfConnection = (connection: Connection): SignalViewer => ({ connectionId: connection.id, principal: connection.principal });

  /** Sends a frame, or closes the socket 4008 when its buffers would pass the bound. */
  const send = (connection: Connection, frame: Frame): boolean => {
    if (connection.closed) return false;
    const { socket } = connection;
    if (socket.bufferedAmount + connection.buffered + frame.length > settings.sendBufferBytes) {
      close(connection, CLOSE.slow);
      return false;
    }
    if (typeof frame === "string") socket.send(frame);
    else socket.send(frame, TEXT);
    return true;
  };

  const sendMessage = (connection: Connection, message: ServerMessage) => send(connection, frameOf(message));

  const sendError = (connection: Connection, code: Schemas["StreamError"]["code"], detail: string, ref?: string) =>
    sendMessage(connection, { type: "error", code, detail, ...(ref === undefined ? {} : { ref }) });

  /** Waits until the socket has room for more (a large replay), or closes it 4008. */
  const waitForRoom = async (connection: Connection): Promise<boolean> => {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (!connection.closed && connection.socket.bufferedAmount > settings.sendBufferBytes / 2) {
      if (Date.now() > deadline) {
        close(connection, CLOSE.slow);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return !connection.closed;
  };

  const ticketSubscriptionsOf = (connection: Connection, ticketId: string) =>
    [...connection.subscriptions.values()].filter((subscription) => !subscription.ended && subscription.buffer === null && subscription.topic.kind === "ticket" && subscription.topic.ticketId === ticketId);
  const feedSubscriptionsOf = (connection: Connection) =>
    [...connection.subscriptions.values()].filter((subscription) => !subscription.ended && subscription.buffer === null && subscription.topic.kind === "tenant");

  /** Takes a subscription out of the indexes; presence hears when the socket's last live one of a ticket goes. */
  const detach = (subscription: Subscription) => {
    if (subscription.ended) return;
    const wasLive = subscription.buffer === null;
    subscription.ended = true;
    const { connection, topic } = subscription;
    connection.subscriptions.delete(subscription.id);
    if (subscription.buffer) for (const frame of subscription.buffer) connection.buffered -= frame.length;
    subscription.buffer = null;
    const tenantRoom = rooms.get(connection.principal.tenantId);
    if (topic.kind === "tenant") {
      tenantRoom?.feed.delete(subscription);
      // Staff watching the queue are "online" for the chat widget (presence under STAFF_QUEUE).
      if (wasLive && feedSubscriptionsOf(connection).length === 0) signals.left(viewerOfConnection(connection), STAFF_QUEUE);
    } else {
      const set = tenantRoom?.tickets.get(topic.ticketId);
      set?.delete(subscription);
      if (set?.size === 0) tenantRoom?.tickets.delete(topic.ticketId);
      if (wasLive && ticketSubscriptionsOf(connection, topic.ticketId).length === 0) signals.left(viewerOfConnection(connection), topic.ticketId);
    }
  };

  const release = (connection: Connection) => {
    for (const subscription of [...connection.subscriptions.values()]) detach(subscription);
    unschedule(connection);
    const tenantRoom = rooms.get(connection.principal.tenantId);
    if (tenantRoom?.connections.delete(connection)) size--;
    if (tenantRoom && tenantRoom.connections.size === 0) rooms.delete(connection.principal.tenantId);
  };

  function close(connection: Connection, how: { code: number; reason: string }) {
    if (connection.closed) return;
    connection.closed = true;
    release(connection);
    try {
      connection.socket.close(how.code, how.reason);
    } catch {
      connection.socket.terminate();
    }
  }

  // ---- fan-out ---------------------------------------------------------------------------------

  const deliver = (subscription: Subscription, event: FeedEvent, frames: EventFrames) => {
    if (subscription.ended) return;
    if (subscription.floor) {
      if (!isAfter(positionOf(event), subscription.floor)) return;
      subscription.floor = null;
    }
    const frame = frames.for(subscription.id);
    const { connection } = subscription;
    if (subscription.buffer) {
      subscription.buffer.push(frame);
      connection.buffered += frame.length;
      if (connection.socket.bufferedAmount + connection.buffered > settings.sendBufferBytes) close(connection, CLOSE.slow);
    } else send(connection, frame);
  };

  const fanOutTenant = async (tenantRoom: Room, events: FeedEvent[]) => {
    // Who receives what is fixed now, before any await: a subscription registered from here on
    // starts at the reader's position, which is already past this batch.
    const feed = [...tenantRoom.feed];
    const byTicket = new Map<string, Subscription[]>();
    for (const event of events) {
      if (event.ticketId === null || byTicket.has(event.ticketId)) continue;
      const set = tenantRoom.tickets.get(event.ticketId);
      if (set) byTicket.set(event.ticketId, [...set]);
    }
    if (feed.length === 0 && byTicket.size === 0) return;

    // Which events each viewer class needs, presented once per class.
    const classes = new Map<string, { principal: UserPrincipal; rows: Set<FeedEvent> }>();
    const need = (principal: UserPrincipal, key: string, event: FeedEvent) => {
      let entry = classes.get(key);
      if (!entry) classes.set(key, (entry = { principal, rows: new Set() }));
      entry.rows.add(event);
    };
    const feedClasses = new Map<string, UserPrincipal>();
    for (const subscription of feed) feedClasses.set(subscription.connection.viewerClass, subscription.connection.principal);
    for (const event of events) {
      for (const [key, principal] of feedClasses) if (feedShows(principal, event)) need(principal, key, event);
      const subscribers = event.ticketId === null ? undefined : byTicket.get(event.ticketId);
      for (const subscription of subscribers ?? []) need(subscription.connection.principal, subscription.connection.viewerClass, event);
    }

    // Subscribers who may no longer see their ticket lose it (REST's rule, as the ticket is now).
    const lost = new Set<Subscription>();
    const recheck = [...new Set(events.filter((event) => event.ticketId !== null && byTicket.has(event.ticketId) && mayHideTicket(event)).map((event) => event.ticketId!))];
    if (recheck.length > 0) {
      const tickets = await db.ticket.findMany({ where: { tenantId: events[0]!.tenantId, id: { in: recheck } }, select: { id: true, requesterId: true, deletedAt: true } });
      const byId = new Map(tickets.map((ticket) => [ticket.id, ticket]));
      for (const ticketId of recheck) {
        const ticket = byId.get(ticketId);
        for (const subscription of byTicket.get(ticketId) ?? []) if (!ticket || !canSeeTicket(subscription.connection.principal, ticket)) lost.add(subscription);
      }
    }

    const presented = new Map<string, Map<string, string>>();
    await Promise.all(
      [...classes].map(async ([key, { principal, rows }]) => {
        const shown = await present(db, viewerOf(principal), [...rows]);
        presented.set(key, new Map(shown.map((event) => [event.id, JSON.stringify(event)])));
      }),
    );

    // The hot loop: per event, the feed's subscribers by viewer class (the class decides what
    // they see), each class's bytes built once; nothing per socket but the send.
    const feedByClass = new Map<string, Subscription[]>();
    for (const subscription of feed) {
      const list = feedByClass.get(subscription.connection.viewerClass);
      if (list) list.push(subscription);
      else feedByClass.set(subscription.connection.viewerClass, [subscription]);
    }
    for (const event of events) {
      const framesOf = new Map<string, EventFrames | null>();
      const framesFor = (key: string): EventFrames | null => {
        let frames = framesOf.get(key);
        if (frames === undefined) {
          const json = presented.get(key)?.get(event.id);
          frames = json === undefined ? null : new EventFrames(json);
          framesOf.set(key, frames);
        }
        return frames;
      };
      for (const [key, subscriptions] of feedByClass) {
        const frames = framesFor(key);
        if (frames === null || !feedShows(subscriptions[0]!.connection.principal, event)) continue;
        for (const subscription of subscriptions) deliver(subscription, event, frames);
      }
      const subscribers = event.ticketId === null ? undefined : byTicket.get(event.ticketId);
      if (subscribers === undefined) continue;
      for (const subscription of subscribers) {
        if (lost.has(subscription)) continue;
        const frames = framesFor(subscription.connection.viewerClass);
        if (frames !== null) deliver(subscription, event, frames);
      }
    }
    for (const subscription of lost) {
      if (subscription.ended) continue;
      detach(subscription);
      sendMessage(subscription.connection, { type: "unsubscribed", id: subscription.id, reason: "not_visible" });
    }
  };

  /** The reader's batches: each tenant with sockets here, fanned out in log order. */
  const onBatch = async (events: FeedEvent[]) => {
    const byTenant = new Map<string, FeedEvent[]>();
    for (const event of events) {
      if (!rooms.has(event.tenantId)) continue;
      const list = byTenant.get(event.tenantId);
      if (list) list.push(event);
      else byTenant.set(event.tenantId, [event]);
    }
    await Promise.all(
      [...byTenant].map(async ([tenantId, tenantEvents]) => {
        const tenantRoom = rooms.get(tenantId);
        if (!tenantRoom) return;
        try {
          // Under row-level security, in the tenant's scope: a query that forgot its tenant sees nothing.
          await tenantScope.run(tenantId, () => fanOutTenant(tenantRoom, tenantEvents));
        } catch (error) {
          // Never a silent gap: the tenant's sockets reconnect and resume from what they got.
          logger.error({ err: error, tenantId }, "live stream: could not present a batch; closing the tenant's sockets");
          for (const connection of [...tenantRoom.connections]) close(connection, CLOSE.failed);
        }
      }),
    );
  };

  // ---- subscriptions ---------------------------------------------------------------------------

  /** The topic's events this principal may get, up to `to` (and after `from`, when given). */
  const topicEvents = (principal: UserPrincipal, topic: Topic, to: Position, from?: Position) => {
    const values: unknown[] = [principal.tenantId, String(to.txId), to.seq];
    const conditions = [`e."tenantId" = $1::uuid`, `(e."txId", e.seq) <= ($2::xid8, $3::bigint)`];
    if (from) {
      values.push(String(from.txId), from.seq);
      conditions.push(`(e."txId", e.seq) > ($4::xid8, $5::bigint)`);
    }
    if (topic.kind === "ticket") {
      values.push(topic.ticketId);
      conditions.push(`e."ticketId" = $${values.length}::uuid`);
    } else if (principal.role !== "admin") conditions.push(`e."ticketId" IS NOT NULL`);
    if (principal.role === "user") conditions.push(`NOT e.internal`);
    return { where: conditions.join(" AND "), values };
  };

  /**
   * One page of a replay, presented for the viewer class, each event's message bytes shared by
   * the subscriptions that replay it: the same page for the same class is read once at a time.
   */
  const replayPage = (connection: Connection, topic: Topic, from: Position, to: Position) =>
    shared(`replay|${connection.principal.tenantId}|${connection.viewerClass}|${topicKey(topic)}|${positionKey(from)}|${positionKey(to)}`, async () => {
      const { principal } = connection;
      const { where, values } = topicEvents(principal, topic, to, from);
      const rows = await db.$queryRawUnsafe<FeedEvent[]>(`SELECT ${EVENT_COLUMNS} FROM "Event" e WHERE ${where} ORDER BY e."txId", e.seq LIMIT ${REPLAY_PAGE}`, ...values);
      const shown = await present(db, viewerOf(principal), rows);
      return { rows, frames: shown.map((event) => new EventFrames(JSON.stringify(event))) };
    });

  /** The topic's last event at or before `to`: where a client that got nothing yet resumes. */
  const resumePoint = (connection: Connection, topic: Topic, to: Position): Promise<string | null> =>
    shared(`resume-point|${connection.principal.tenantId}|${connection.viewerClass}|${topicKey(topic)}|${positionKey(to)}`, async () => {
      const { where, values } = topicEvents(connection.principal, topic, to);
      const [row] = await db.$queryRawUnsafe<{ id: string }[]>(`SELECT e.id FROM "Event" e WHERE ${where} ORDER BY e."txId" DESC, e.seq DESC LIMIT 1`, ...values);
      return row?.id ?? null;
    });

  /** Where an event is in the log (events never change), or null when it is not there. */
  const positionOfEvent = (tenantId: string, eventId: string) =>
    shared(`position|${tenantId}|${eventId}`, async () => {
      const [row] = await db.$queryRawUnsafe<{ txId: string; seq: bigint }[]>(
        `SELECT e."txId"::text AS "txId", e.seq FROM "Event" e WHERE e."tenantId" = $1::uuid AND e.id = $2::uuid`,
        tenantId,
        eventId,
      );
      return row ? positionOf(row) : null;
    });

  const subscribe = async (connection: Connection, message: Extract<ClientMessage, { type: "subscribe" }>) => {
    const { principal } = connection;
    const { id, topic } = message;
    if (connection.subscriptions.has(id)) return void sendError(connection, "invalid_message", `A subscription ${id} exists on this connection already; pick another id.`, id);
    if (connection.subscriptions.size >= settings.maxSubscriptions) return void sendError(connection, "rate_limited", `At most ${settings.maxSubscriptions} subscriptions per connection.`, id);
    if (topic.kind === "tenant" && !canFollowTenant(principal)) return void sendError(connection, "forbidden", `Only admins and agents follow the tenant's feed; you are ${principal.role}. Subscribe to your tickets.`, id);
    if (topic.kind === "ticket") {
      const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: topic.ticketId } }, select: { requesterId: true, deletedAt: true } });
      if (!ticket || !canSeeTicket(principal, ticket)) return void sendError(connection, "not_found", `No ticket ${topic.ticketId}.`, id);
      // The ticket's events so far were committed before the client could name it: live delivery
      // starts past them, so `resumeAfter` names one of them even for a ticket created a moment
      // ago, and a client that drops before its first event resumes without missing any.
      const [newest] = await db.$queryRawUnsafe<{ txId: string; seq: bigint }[]>(
        `SELECT e."txId"::text AS "txId", e.seq FROM "Event" e WHERE e."tenantId" = $1::uuid AND e."ticketId" = $2::uuid ORDER BY e."txId" DESC, e.seq DESC LIMIT 1`,
        principal.tenantId,
        topic.ticketId,
      );
      if (newest) await reader.reach(positionOf(newest), CATCH_UP_MS);
    }
    let after: Position | null = null;
    if (message.after !== undefined) {
      after = await positionOfEvent(principal.tenantId, message.after);
      if (!after) return void sendError(connection, "unknown_resume_point", `Event ${message.after} is not in the log: refetch over REST, then subscribe without after.`, id);
    }
    if (connection.closed || connection.subscriptions.has(id)) return;

    // Registered at the reader's position, synchronously: every later batch reaches it.
    const upTo = reader.position();
    const replays = after !== null && isAfter(upTo, after);
    const subscription: Subscription = { id, connection, topic, buffer: [], floor: after !== null && !replays ? after : null, ended: false };
    connection.subscriptions.set(id, subscription);
    const tenantRoom = roomOf(principal.tenantId);
    if (topic.kind === "tenant") tenantRoom.feed.add(subscription);
    else {
      const set = tenantRoom.tickets.get(topic.ticketId) ?? new Set();
      set.add(subscription);
      tenantRoom.tickets.set(topic.ticketId, set);
    }

    let replayed = 0;
    let lastReplayed: string | null = null;
    if (replays) {
      let from = after!;
      for (;;) {
        const { rows, frames } = await replayPage(connection, topic, from, upTo);
        if (subscription.ended) return;
        for (const eventFrames of frames) {
          // A replay may be long: it waits for the socket to drain rather than overflow it.
          if (connection.socket.bufferedAmount > settings.sendBufferBytes / 2 && !(await waitForRoom(connection))) return;
          if (subscription.ended || !send(connection, eventFrames.for(id))) return;
          replayed++;
        }
        if (rows.length > 0) lastReplayed = rows.at(-1)!.id;
        if (rows.length < REPLAY_PAGE) break;
        from = positionOf(rows.at(-1)!);
      }
    }
    // An `after` past the reader's position is itself where to resume; after a replay, its last
    // event (the replay read the topic up to the reader's position); else the topic's last event up to it.
    const resumeAfter = after !== null && !replays ? message.after! : (lastReplayed ?? (await resumePoint(connection, topic, upTo)));
    if (subscription.ended) return;
    const waiting = subscription.buffer ?? [];
    subscription.buffer = null;
    for (const frame of waiting) connection.buffered -= frame.length;
    if (!sendMessage(connection, { type: "subscribed", id, topic, replayed, resumeAfter })) return;
    for (const frame of waiting) if (!send(connection, frame)) return;
    if (topic.kind === "ticket" && ticketSubscriptionsOf(connection, topic.ticketId).length === 1) signals.viewing(viewerOfConnection(connection), topic.ticketId);
    if (topic.kind === "tenant" && feedSubscriptionsOf(connection).length === 1) signals.viewing(viewerOfConnection(connection), STAFF_QUEUE);
  };

  const unsubscribe = (connection: Connection, id: string) => {
    const subscription = connection.subscriptions.get(id);
    if (!subscription) return void sendError(connection, "not_found", `No subscription ${id} on this connection.`, id);
    detach(subscription);
    sendMessage(connection, { type: "unsubscribed", id, reason: "requested" });
  };

  const signalError = (connection: Connection, error: unknown, ref: string) => {
    if (error instanceof Problem) {
      const code = error.status === 403 ? "forbidden" : error.status === 404 ? "not_found" : error.status === 429 ? "rate_limited" : "invalid_message";
      sendError(connection, code, error.message, ref);
    } else {
      logger.warn({ err: error }, `live stream: ${ref} failed`);
    }
  };

  const handle = async (connection: Connection, message: ClientMessage) => {
    switch (message.type) {
      case "subscribe":
        return subscribe(connection, message);
      case "unsubscribe":
        return unsubscribe(connection, message.id);
      case "typing":
        return signals.typing(viewerOfConnection(connection), message.ticketId, message.internal ?? false).catch((error: unknown) => signalError(connection, error, "typing"));
      case "read":
        return signals.read(viewerOfConnection(connection), message.ticketId, message.commentId).catch((error: unknown) => signalError(connection, error, "read"));
    }
  };

  const onMessage = (connection: Connection, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (connection.closed) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > settings.maxMessageBytes) return close(connection, CLOSE.tooLarge);
    const now = Date.now();
    connection.allowance = Math.min(MESSAGE_BURST, connection.allowance + ((now - connection.allowanceAt) / 1000) * MESSAGES_PER_SECOND);
    connection.allowanceAt = now;
    if (connection.allowance < 1) return void sendError(connection, "rate_limited", `At most ${MESSAGES_PER_SECOND} messages per second; this one was dropped.`);
    connection.allowance -= 1;
    const parsed: ParsedMessage = isBinary ? { ok: false, detail: "Send JSON text frames, not binary ones." } : parse!(bytes.toString("utf8"));
    if (!parsed.ok) {
      if (++connection.invalidMessages > MAX_INVALID_MESSAGES) return close(connection, CLOSE.abuse);
      return void sendError(connection, "invalid_message", parsed.detail, parsed.ref);
    }
    connection.invalidMessages = 0;
    connection.work = connection.work
      .then(() => (connection.closed ? undefined : tenantScope.run(connection.principal.tenantId, () => handle(connection, parsed.message))))
      .catch((error: unknown) => {
        if (connection.closed) return;
        // Every database connection busy: not the client's fault. Closed 1013, the SDK reconnects
        // after a jittered backoff and resumes.
        if (isDatabaseBusy(error)) {
          logger.warn({ err: error, connectionId: connection.id }, "live stream: database busy; closing 1013 (try again later)");
          return close(connection, CLOSE.busy);
        }
        logger.error({ err: error, connectionId: connection.id }, "live stream: a client message failed");
        sendError(connection, "invalid_message", "This message could not be handled; try again.", parsed.message.type);
      });
  };

  // ---- signals ---------------------------------------------------------------------------------

  const onSignal = (signal: LiveSignal) => {
    const subscribers = rooms.get(signal.tenantId)?.tickets.get(signal.ticketId);
    if (!subscribers) return;
    let frame: string;
    if (signal.type === "typing") frame = frameOf({ type: "typing", ticketId: signal.ticketId, userId: signal.userId, internal: signal.internal, expiresAt: signal.expiresAt });
    else if (signal.type === "presence") frame = frameOf({ type: "presence", ticketId: signal.ticketId, viewers: signal.viewers });
    else frame = frameOf({ type: "read", ticketId: signal.ticketId, userId: signal.userId, commentId: signal.commentId, readAt: signal.readAt });
    const internal = signal.type !== "presence" && signal.internal;
    const reached = new Set<Connection>();
    for (const subscription of [...subscribers]) {
      const { connection } = subscription;
      if (subscription.buffer !== null || reached.has(connection)) continue;
      if (internal && connection.principal.role === "user") continue;
      reached.add(connection);
      send(connection, frame);
    }
  };
  const stopSignals = signals.onSignal(onSignal);

  // ---- lifetime --------------------------------------------------------------------------------

  /** The backstop for a lost notification: sessions that ended, roles that changed. */
  async function recheckSessions(): Promise<void> {
    const connections = [...rooms.values()].flatMap((tenantRoom) => [...tenantRoom.connections]);
    if (connections.length === 0) return;
    const keys = [...new Map(connections.map((c) => [c.principal.sessionId, c.principal])).values()];
    const rows = await system.$queryRawUnsafe<{ sessionId: string; role: string }[]>(
      `SELECT s.id AS "sessionId", u.role::text AS role
         FROM unnest($1::uuid[], $2::uuid[]) AS k("tenantId", id)
         JOIN "Session" s ON s."tenantId" = k."tenantId" AND s.id = k.id
         JOIN "User" u ON u."tenantId" = s."tenantId" AND u.id = s."userId"
         JOIN "Tenant" t ON t.id = s."tenantId"
        WHERE s."revokedAt" IS NULL AND u.active AND t.status = 'active' AND t."deletedAt" IS NULL`,
      keys.map((principal) => principal.tenantId),
      keys.map((principal) => principal.sessionId),
    );
    const live = new Map(rows.map((row) => [row.sessionId, row.role]));
    for (const connection of connections) {
      const role = live.get(connection.principal.sessionId);
      if (role === undefined) close(connection, CLOSE.revoked);
      else if (role !== connection.principal.role) close(connection, CLOSE.roleChanged);
    }
  }

  const heartbeat = setInterval(() => {
    recheckSessions().catch((error: unknown) => logger.warn({ err: error }, "live stream: could not recheck sessions"));
    for (const tenantRoom of rooms.values()) {
      for (const connection of tenantRoom.connections) {
        if (connection.missedPongs >= 2) {
          connection.closed = true;
          release(connection);
          connection.socket.terminate();
          continue;
        }
        connection.missedPongs++;
        connection.socket.ping();
      }
    }
  }, settings.heartbeatSeconds * 1000);
  heartbeat.unref();

  const matching = (predicate: (connection: Connection) => boolean, tenantId: string) => [...(rooms.get(tenantId)?.connections ?? [])].filter(predicate);

  return {
    /** Sockets open on this instance (for metrics). */
    size: () => size,

    /** Set once by the HTTP layer, which holds the contract the messages are validated against. */
    useParser(parser: ClientMessageParser) {
      parse = parser;
    },

    /** Takes over an authenticated socket: welcome, then client messages, until it closes. */
    accept(socket: WebSocket, principal: UserPrincipal): void {
      if (closing) {
        socket.close(CLOSE.shutdown.code, CLOSE.shutdown.reason);
        return;
      }
      const connection: Connection = {
        id: crypto.randomUUID(),
        socket,
        principal,
        viewerClass: viewerClass(principal),
        subscriptions: new Map(),
        buffered: 0,
        missedPongs: 0,
        invalidMessages: 0,
        allowance: MESSAGE_BURST,
        allowanceAt: Date.now(),
        expiresAt: principal.accessExpiresAt ?? Date.now(),
        closed: false,
        welcomed: false,
        work: reader.start(),
      };
      roomOf(principal.tenantId).connections.add(connection);
      size++;
      socket.on("message", (data, isBinary) => onMessage(connection, data, isBinary));
      // An unclean disconnect (a reset, a bad frame): the socket is gone; "close" follows.
      socket.on("error", (error) => {
        logger.debug({ err: error, connectionId: connection.id }, "live stream: socket error");
        socket.terminate();
      });
      socket.on("pong", () => {
        connection.missedPongs = 0;
      });
      socket.on("close", () => {
        connection.closed = true;
        release(connection);
      });
      const { expiresAt } = connection;
      schedule(connection);
      connection.work = connection.work.then(
        () => {
          sendMessage(connection, {
            type: "welcome",
            connectionId: connection.id,
            tenantId: principal.tenantId,
            user: { id: principal.userId, role: principal.role },
            expiresAt: new Date(expiresAt).toISOString(),
            heartbeatSeconds: settings.heartbeatSeconds,
          });
          connection.welcomed = true;
        },
        (error: unknown) => {
          logger.error({ err: error }, "live stream: could not start reading the event log");
          close(connection, CLOSE.failed);
        },
      );
    },

    onBatch,

    /** A message for every socket one user has open on this instance (their notifications): no subscription needed. */
    sendToUser(tenantId: string, userId: string, message: ServerMessage): void {
      const connections = rooms.get(tenantId)?.connections;
      if (!connections) return;
      let frame: string | undefined;
      for (const connection of connections) {
        if (connection.principal.userId !== userId || !connection.welcomed) continue;
        frame ??= frameOf(message);
        send(connection, frame);
      }
    },

    /**
     * Sessions ended or changed (from any instance, over LISTEN/NOTIFY): exactly the affected
     * sockets close. An undescribed change (undefined) is checked against the database.
     */
    async sessionsChanged(change: SessionChange | undefined): Promise<void> {
      if (!change) return recheckSessions();
      for (const scope of change.ended) {
        for (const connection of matching((c) => inScope(scope, { tenantId: c.principal.tenantId, userId: c.principal.userId, sessionId: c.principal.sessionId }), scope.tenantId)) close(connection, CLOSE.revoked);
      }
      for (const user of change.roleChanged) {
        for (const connection of matching((c) => c.principal.userId === user.userId && c.principal.role !== user.role, user.tenantId)) close(connection, CLOSE.roleChanged);
      }
    },

    recheckSessions,

    /** Shutdown: every socket is told to resume elsewhere (1001), then the rest are cut. */
    async shutdown(graceMs = 2_000): Promise<void> {
      closing = true;
      clearInterval(heartbeat);
      clearInterval(sweep);
      const sockets = [...rooms.values()].flatMap((tenantRoom) => [...tenantRoom.connections]).map((connection) => connection.socket);
      for (const tenantRoom of [...rooms.values()]) for (const connection of [...tenantRoom.connections]) close(connection, CLOSE.shutdown);
      const deadline = Date.now() + graceMs;
      while (sockets.some((socket) => socket.readyState !== socket.CLOSED) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const socket of sockets) if (socket.readyState !== socket.CLOSED) socket.terminate();
    },

    async close(): Promise<void> {
      closing = true;
      clearInterval(heartbeat);
      clearInterval(sweep);
      stopSignals();
      await reader.stop();
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
