// PostgreSQL LISTEN/NOTIFY between API instances (DESIGN.md: the bus several instances share).
// One dedicated connection listens; it reconnects after a failure, and whatever depends on it must
// stay correct without it (the session cache, for one, still expires on its own).
import pg from "pg";
import type { Logger } from "../logger.ts";

export interface NotificationChannel {
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

const RECONNECT_MS = 1_000;

/** onListening runs each time the listener (re)connects: messages sent while it was away are lost, and a caller may want to catch up. */
export function listen(databaseUrl: string, pool: pg.Pool, channel: string, onMessage: (payload: string) => void, logger: Logger, onListening?: () => void): NotificationChannel {
  if (!/^[a-z_]+$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client({ connectionString: databaseUrl });
    next.on("notification", (message) => {
      if (message.channel === channel) onMessage(message.payload ?? "");
    });
    next.on("error", (error) => {
      logger.warn({ err: error, channel }, "notification listener lost its connection");
      reconnect();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (closed) await next.end();
      else {
        client = next;
        onListening?.();
      }
    } catch (error) {
      logger.warn({ err: error, channel }, "notification listener could not connect");
      next.end().catch(() => {});
      reconnect();
    }
  };
  const reconnect = () => {
    client?.end().catch(() => {});
    client = undefined;
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, RECONNECT_MS);
    retry.unref();
  };
  void connect();

  return {
    async publish(payload) {
      await pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      await client?.end().catch(() => {});
    },
  };
}
