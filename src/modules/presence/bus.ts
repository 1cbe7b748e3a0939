// The live bus between API instances: PostgreSQL LISTEN/NOTIFY on one channel, small JSON
// messages (NOTIFY takes under 8000 bytes). Each message names the instance that sent it; an
// instance acts on its own signals directly and ignores their echo. Nothing on it is durable:
// typing, presence and receipts are ephemeral, and a message lost while a listener reconnects is
// made good by the next announcement (presence) or does not matter (typing).
import type { DatabaseHandle } from "../../db/client.ts";
import { listen } from "../../db/notifications.ts";
import type { Logger } from "../../logger.ts";
import type { LiveSignal } from "../stream/signals.ts";
import type { TicketViewers } from "./presence-board.ts";

export const LIVE_CHANNEL = "docket_live";
/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more. */
export const MAX_PAYLOAD_BYTES = 7_900;

export type BusMessage =
  | { kind: "signal"; from: string; signal: Extract<LiveSignal, { type: "typing" | "read" }> }
  /** The sender's whole list of viewers for each ticket named (empty: nobody there any more). */
  | { kind: "viewers"; from: string; seq: number; tickets: TicketViewers[] }
  /** A new (or reconnected) listener: everyone re-announces their viewers. */
  | { kind: "hello"; from: string }
  /** A graceful shutdown: the sender's viewers are gone. */
  | { kind: "bye"; from: string };

export interface LiveBus {
  publish(message: BusMessage): Promise<void>;
  close(): Promise<void>;
}

export function createLiveBus(options: { database: DatabaseHandle; logger: Logger; instanceId: string; onMessage: (message: BusMessage) => void; onListening: () => void }): LiveBus {
  const { database, logger, instanceId } = options;
  const channel = listen(
    database.url,
    database.pool,
    LIVE_CHANNEL,
    (payload) => {
      let message: BusMessage;
      try {
        message = JSON.parse(payload) as BusMessage;
      } catch {
        logger.warn({ channel: LIVE_CHANNEL }, "ignored an unparseable live bus message");
        return;
      }
      if (message.from === instanceId) return;
      // A throw here would escape from the listener connection's event handler and end the process.
      try {
        options.onMessage(message);
      } catch (error) {
        logger.warn({ err: error, channel: LIVE_CHANNEL }, "could not act on a live bus message");
      }
    },
    logger,
    options.onListening,
  );
  return {
    async publish(message) {
      const payload = JSON.stringify(message);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
        logger.warn({ kind: message.kind, bytes: Buffer.byteLength(payload) }, "a live bus message is too large for NOTIFY; not sent");
        return;
      }
      await channel.publish(payload);
    },
    close: () => channel.close(),
  };
}
