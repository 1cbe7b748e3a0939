// Typing, presence and read receipts for the live stream (StreamSignals): what one instance's
// sockets say reaches the listeners of every instance through the live bus, and this instance's
// own listeners directly.
import crypto from "node:crypto";
import type { DatabaseHandle } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import type { PresenceSettings } from "../../config.ts";
import type { TenantPrincipal, UserPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import { canSee } from "../tickets/policy.ts";
import { checkCanWriteInternal } from "../comments/policy.ts";
import { createLiveBus, MAX_PAYLOAD_BYTES, type BusMessage } from "./bus.ts";
import { createPresenceBoard, type TicketViewers } from "./presence-board.ts";
import { listMarkers, markRead, ownMarker, type ReadMarker } from "./read-markers.ts";
import { STAFF_QUEUE, type LiveSignal, type SignalViewer, type StreamSignals } from "../stream/signals.ts";
import { createTypingCoalescer } from "./typing.ts";

/** The protocol's timings (typing: one per 2 s, expiring after 6 s); config may change them. */
export const DEFAULT_PRESENCE_SETTINGS: PresenceSettings = { typingCoalesceMs: 2_000, typingTtlMs: 6_000, presenceRefreshMs: 10_000, presenceTtlMs: 25_000 };

/** Announcements split so that each fits one NOTIFY. */
function inChunks(tickets: TicketViewers[]): TicketViewers[][] {
  const chunks: TicketViewers[][] = [];
  let chunk: TicketViewers[] = [];
  let bytes = 200; // the envelope
  for (const ticket of tickets) {
    const size = Buffer.byteLength(JSON.stringify(ticket)) + 1;
    if (chunk.length > 0 && bytes + size > MAX_PAYLOAD_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 200;
    }
    chunk.push(ticket);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export interface PresenceService extends StreamSignals {
  /** PUT /v1/tickets/{ticketId}/read-marker: as the stream's `read`, answering the caller's marker as it now stands. */
  markRead(principal: UserPrincipal, ticketId: string, commentId: string): Promise<ReadMarker>;
  /** GET /v1/tickets/{ticketId}/read-markers: the receipts a UI shows at start-up. */
  readMarkers(principal: TenantPrincipal, ticketId: string): Promise<ReadMarker[]>;
  /** Whether an agent or admin of the tenant has the queue (the tenant's feed) open on any instance. */
  staffOnline(tenantId: string): boolean;
  /** Resolves once this instance listens on the bus (tests wait for it; the stream need not). */
  ready(): Promise<void>;
}

export function createPresenceService(deps: { database: DatabaseHandle; logger: Logger; settings?: Partial<PresenceSettings> }): PresenceService {
  const { database, logger } = deps;
  const settings = { ...DEFAULT_PRESENCE_SETTINGS, ...deps.settings };
  const instanceId = crypto.randomUUID();
  const listeners = new Set<(signal: LiveSignal) => void>();
  let seq = 0;
  let closed = false;

  const deliver = (signal: LiveSignal) => {
    for (const listener of listeners) {
      try {
        listener(signal);
      } catch (error) {
        logger.warn({ err: error, signal: signal.type }, "a live signal listener failed");
      }
    }
  };
  const publish = (message: BusMessage) => {
    if (closed) return;
    bus.publish(message).catch((error: unknown) => logger.warn({ err: error, kind: message.kind }, "could not publish on the live bus"));
  };
  const announce = (tickets: TicketViewers[]) => {
    for (const chunk of inChunks(tickets)) publish({ kind: "viewers", from: instanceId, seq: ++seq, tickets: chunk });
  };
  /** Typing and receipts: to this instance's listeners now, to the others' through the bus. */
  const send = (signal: Extract<LiveSignal, { type: "typing" | "read" }>) => {
    deliver(signal);
    publish({ kind: "signal", from: instanceId, signal });
  };

  const board = createPresenceBoard({ onChange: ({ tenantId, ticketId, viewers }) => deliver({ type: "presence", tenantId, ticketId, viewers }) });
  const typing = createTypingCoalescer({
    windowMs: settings.typingCoalesceMs,
    ttlMs: settings.typingTtlMs,
    emit: (state) => send({ type: "typing", tenantId: state.tenantId, ticketId: state.ticketId, userId: state.userId, internal: state.internal, expiresAt: state.expiresAt.toISOString() }),
  });

  let listening!: () => void;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const bus = createLiveBus({
    database,
    logger,
    instanceId,
    onListening: () => {
      listening();
      publish({ kind: "hello", from: instanceId });
    },
    onMessage: (message) => {
      switch (message.kind) {
        case "signal":
          return deliver(message.signal);
        case "viewers":
          return board.announce(message.from, message.seq, message.tickets, Date.now());
        case "hello":
          return announce(board.own());
        case "bye":
          return board.forgetInstance(message.from);
      }
    },
  });

  const refresh = setInterval(() => {
    announce(board.own());
    board.expire(Date.now() - settings.presenceTtlMs);
  }, settings.presenceRefreshMs);
  refresh.unref();

  async function visibleTicket(principal: UserPrincipal, ticketId: string): Promise<void> {
    const ticket = await database.prisma.ticket.findUnique({
      where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } },
      select: { requesterId: true, deletedAt: true },
    });
    if (!ticket || ticket.deletedAt || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
  }

  /** Moves the marker and, when it moved, sends the receipt; answers the new marker (undefined: it stood). */
  async function moveMarker(principal: UserPrincipal, ticketId: string, commentId: string): Promise<ReadMarker | undefined> {
    const marked = await markRead(database.prisma, principal, ticketId, commentId);
    if (!marked) return undefined;
    const readAt = marked.readAt.toISOString();
    send({ type: "read", tenantId: principal.tenantId, ticketId, userId: principal.userId, commentId, internal: marked.internal, readAt });
    return { userId: principal.userId, commentId, readAt };
  }

  return {
    ready: () => ready,

    staffOnline: (tenantId: string) => board.viewersOf(tenantId, STAFF_QUEUE).some((viewer) => viewer.role !== "user"),

    // Each entry point runs its queries in the caller's tenant scope (row-level security): the
    // stream calls them from socket messages, outside any HTTP request.
    async typing(viewer: SignalViewer, ticketId: string, internal: boolean): Promise<void> {
      const { principal } = viewer;
      await tenantScope.run(principal.tenantId, () => visibleTicket(principal, ticketId));
      checkCanWriteInternal(principal, internal);
      typing.typing({ tenantId: principal.tenantId, ticketId, userId: principal.userId, internal });
    },

    async read(viewer: SignalViewer, ticketId: string, commentId: string): Promise<void> {
      await tenantScope.run(viewer.principal.tenantId, () => moveMarker(viewer.principal, ticketId, commentId));
    },

    markRead(principal: UserPrincipal, ticketId: string, commentId: string): Promise<ReadMarker> {
      return tenantScope.run(principal.tenantId, async () => (await moveMarker(principal, ticketId, commentId)) ?? ownMarker(database.prisma, principal, ticketId));
    },

    readMarkers: (principal: TenantPrincipal, ticketId: string) => tenantScope.run(principal.tenantId, () => listMarkers(database.prisma, principal, ticketId)),

    viewing(viewer: SignalViewer, ticketId: string): void {
      const { principal } = viewer;
      const since = new Date().toISOString();
      const changed = board.viewing(principal.tenantId, ticketId, viewer.connectionId, { userId: principal.userId, role: principal.role, since });
      if (changed) announce([changed]);
    },

    left(viewer: SignalViewer, ticketId: string): void {
      const changed = board.left(viewer.principal.tenantId, ticketId, viewer.connectionId);
      if (changed) announce([changed]);
    },

    onSignal(listener: (signal: LiveSignal) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close(): Promise<void> {
      if (closed) return;
      clearInterval(refresh);
      typing.close();
      // The others drop this instance's viewers now rather than after the TTL.
      await bus.publish({ kind: "bye", from: instanceId }).catch(() => {});
      closed = true;
      await bus.close();
    },
  };
}
