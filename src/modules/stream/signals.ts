// The seam between the live stream and typing, presence and read markers (issue 9). The stream
// declares what it needs here; src/modules/presence implements it, and the composition root
// (src/services.ts) wires it in. Until then the stream runs with noSignals.
import type { Role } from "../../core/contract.ts";
import type { UserPrincipal } from "../../core/principal.ts";

/**
 * Presence's key for the tenant's feed (never a ticket id): who has the queue open, which is what
 * "an agent is online" means to the chat widget.
 */
export const STAFF_QUEUE = "queue";

export interface SignalViewer {
  connectionId: string;
  principal: UserPrincipal;
}

export type LiveSignal =
  | { type: "typing"; tenantId: string; ticketId: string; userId: string; internal: boolean; expiresAt: string }
  | { type: "presence"; tenantId: string; ticketId: string; viewers: { userId: string; role: Role; since: string }[] }
  | { type: "read"; tenantId: string; ticketId: string; userId: string; commentId: string; internal: boolean; readAt: string };

export interface StreamSignals {
  /** Throws a Problem (403/404) if the user may not see the ticket. */
  typing(viewer: SignalViewer, ticketId: string, internal: boolean): Promise<void>;
  read(viewer: SignalViewer, ticketId: string, commentId: string): Promise<void>;
  /** The socket subscribed to / left a ticket (or closed): presence. */
  viewing(viewer: SignalViewer, ticketId: string): void;
  left(viewer: SignalViewer, ticketId: string): void;
  /** Signals from every instance (including this one); the stream delivers them to the ticket's subscribers who may see them. */
  onSignal(listener: (signal: LiveSignal) => void): () => void;
  close(): Promise<void>;
}

/** Signals switched off: typing and read markers are accepted and go nowhere, nobody is present. */
export const noSignals: StreamSignals = {
  typing: async () => {},
  read: async () => {},
  viewing: () => {},
  left: () => {},
  onSignal: () => () => {},
  close: async () => {},
};
