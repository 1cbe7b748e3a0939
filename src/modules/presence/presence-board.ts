// Who is viewing which ticket, across instances. Each instance knows its own connections exactly
// and announces, per ticket, its viewers (a user with two tabs once, since the earliest); it
// re-announces them all periodically. The board merges its own with the latest announcement of
// every other instance, and forgets an instance's entries not refreshed within the TTL: that is how
// the list converges when an instance dies without a word. Announcements carry a per-instance
// sequence number, as two NOTIFYs from one instance can arrive out of order (different pool
// connections), and the board keeps only the newest.
import type { Role } from "../../core/contract.ts";

export interface Viewer {
  userId: string;
  role: Role;
  since: string;
}

export interface TicketViewers {
  tenantId: string;
  ticketId: string;
  viewers: Viewer[];
}

interface Announced {
  viewers: Viewer[];
  seq: number;
  seenAt: number;
}

const keyOf = (tenantId: string, ticketId: string) => `${tenantId}/${ticketId}`;

/** One entry per user, since their earliest connection; ordered by since, then user. */
function merge(lists: Iterable<Viewer[]>): Viewer[] {
  const byUser = new Map<string, Viewer>();
  for (const list of lists) {
    for (const viewer of list) {
      const seen = byUser.get(viewer.userId);
      if (!seen || viewer.since < seen.since) byUser.set(viewer.userId, viewer);
    }
  }
  return [...byUser.values()].sort((a, b) => a.since.localeCompare(b.since) || a.userId.localeCompare(b.userId));
}

export function createPresenceBoard(options: { onChange: (viewers: TicketViewers) => void }) {
  /** This instance's connections per ticket. */
  const local = new Map<string, { tenantId: string; ticketId: string; connections: Map<string, Viewer> }>();
  /** Other instances' latest announcement per ticket. */
  const remote = new Map<string, { tenantId: string; ticketId: string; instances: Map<string, Announced> }>();
  /** What was last announced to listeners per ticket (absent: nobody). */
  const shown = new Map<string, string>();

  const ownViewers = (key: string): Viewer[] => merge([[...(local.get(key)?.connections.values() ?? [])]]);

  const recompute = (tenantId: string, ticketId: string) => {
    const key = keyOf(tenantId, ticketId);
    const viewers = merge([ownViewers(key), ...[...(remote.get(key)?.instances.values() ?? [])].map((entry) => entry.viewers)]);
    const text = JSON.stringify(viewers);
    if ((shown.get(key) ?? "[]") === text) return;
    if (viewers.length === 0) shown.delete(key);
    else shown.set(key, text);
    options.onChange({ tenantId, ticketId, viewers });
  };

  /** Applies a change to this instance's connections; returns its own list for the ticket when that changed (to announce). */
  const changeLocal = (tenantId: string, ticketId: string, change: (connections: Map<string, Viewer>) => void): TicketViewers | undefined => {
    const key = keyOf(tenantId, ticketId);
    const before = JSON.stringify(ownViewers(key));
    const entry = local.get(key) ?? { tenantId, ticketId, connections: new Map<string, Viewer>() };
    change(entry.connections);
    if (entry.connections.size > 0) local.set(key, entry);
    else local.delete(key);
    const viewers = ownViewers(key);
    if (JSON.stringify(viewers) === before) return undefined;
    recompute(tenantId, ticketId);
    return { tenantId, ticketId, viewers };
  };

  const dropRemote = (predicate: (instanceId: string, entry: Announced) => boolean) => {
    for (const [key, ticket] of remote) {
      let changed = false;
      for (const [instanceId, entry] of ticket.instances) {
        if (predicate(instanceId, entry)) {
          ticket.instances.delete(instanceId);
          changed = true;
        }
      }
      if (ticket.instances.size === 0) remote.delete(key);
      if (changed) recompute(ticket.tenantId, ticket.ticketId);
    }
  };

  return {
    viewing(tenantId: string, ticketId: string, connectionId: string, viewer: Viewer): TicketViewers | undefined {
      return changeLocal(tenantId, ticketId, (connections) => {
        if (!connections.has(connectionId)) connections.set(connectionId, viewer);
      });
    },

    left(tenantId: string, ticketId: string, connectionId: string): TicketViewers | undefined {
      return changeLocal(tenantId, ticketId, (connections) => connections.delete(connectionId));
    },

    /** Everyone viewing a ticket (or key), on every instance. */
    viewersOf(tenantId: string, ticketId: string): Viewer[] {
      const key = keyOf(tenantId, ticketId);
      return merge([ownViewers(key), ...[...(remote.get(key)?.instances.values() ?? [])].map((entry) => entry.viewers)]);
    },

    /** This instance's viewers of every ticket it has any: what it re-announces. */
    own(): TicketViewers[] {
      return [...local.entries()].map(([key, entry]) => ({ tenantId: entry.tenantId, ticketId: entry.ticketId, viewers: ownViewers(key) }));
    },

    /** Another instance's announcement: its whole list for each ticket named. */
    announce(instanceId: string, seq: number, tickets: TicketViewers[], now: number): void {
      for (const { tenantId, ticketId, viewers } of tickets) {
        const key = keyOf(tenantId, ticketId);
        const ticket = remote.get(key) ?? { tenantId, ticketId, instances: new Map<string, Announced>() };
        const previous = ticket.instances.get(instanceId);
        if (previous && previous.seq > seq) continue;
        if (viewers.length > 0) ticket.instances.set(instanceId, { viewers, seq, seenAt: now });
        else ticket.instances.delete(instanceId);
        if (ticket.instances.size > 0) remote.set(key, ticket);
        else remote.delete(key);
        if (JSON.stringify(previous?.viewers ?? []) !== JSON.stringify(viewers)) recompute(tenantId, ticketId);
      }
    },

    /** An instance said goodbye: its viewers are gone. */
    forgetInstance(instanceId: string): void {
      dropRemote((id) => id === instanceId);
    },

    /** Drops announcements not refreshed since `before`: their instance is gone or cut off. */
    expire(before: number): void {
      dropRemote((_id, entry) => entry.seenAt < before);
    },
  };
}
