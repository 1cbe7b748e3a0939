// One query's rows as a stream of batches (arrays of rows), read from a server-side cursor: memory
// holds a batch or two, not the result, whatever its size, and the reader's pace sets the
// database's (the next batch is fetched only once the previous one has been taken). Batches rather
// than rows keep the per-row cost of streams out of the way, and fewer objects waiting in buffers
// long enough to outlive a young-generation collection keeps the garbage collector's heap small. The connection is the stream's own for
// its life and goes back to the pool on every way the stream can end: read to the end, failed, or
// destroyed by a reader that went away.
//
// A cursor in SQL (DECLARE, then FETCH n) rather than the protocol's portal (pg-cursor,
// pg-query-stream): each FETCH is a statement of its own, so statement_timeout bounds each batch.
// A portal's Executes count as one statement until the last row, so a portal read for longer than
// statement_timeout (30 s by default) is cancelled midway, which is the size of export that
// matters most.
import { Readable } from "node:stream";
import type pg from "pg";

/** A statement and its parameters, as Prisma.sql builds them (`text` uses $1, $2…). */
export interface StatementText {
  text: string;
  values: unknown[];
}

/** Rows per FETCH: big enough that round trips cost little, small enough to stay a few hundred KB. */
const BATCH_ROWS = 500;

class CursorRows<Row> extends Readable {
  private readonly client: pg.PoolClient;
  private readonly batchRows: number;
  /** The FETCH (or the closing COMMIT) in flight, if any: destroy waits for it before releasing. */
  private fetching: Promise<unknown> | undefined;
  private open = true;

  constructor(client: pg.PoolClient, batchRows: number) {
    super({ objectMode: true, highWaterMark: 1 });
    this.client = client;
    this.batchRows = batchRows;
  }

  override _read(): void {
    if (this.fetching) return;
    const fetch = this.client.query<Row & pg.QueryResultRow>(`FETCH ${this.batchRows} FROM export_rows`);
    this.fetching = fetch;
    fetch.then(
      async ({ rows }) => {
        this.fetching = undefined;
        if (this.destroyed) return;
        if (rows.length > 0) this.push(rows);
        if (rows.length < this.batchRows) {
          this.open = false;
          const commit = this.client.query("COMMIT");
          this.fetching = commit;
          await commit;
          this.fetching = undefined;
          this.push(null);
        }
      },
      (error: Error) => {
        this.fetching = undefined;
        this.destroy(error);
      },
    ).catch((error: Error) => this.destroy(error));
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const finish = async () => {
      await this.fetching?.catch(() => {});
      if (this.open && !error) await this.client.query("ROLLBACK");
    };
    finish().then(
      () => {
        this.client.release(error ?? undefined);
        done(error);
      },
      (failure: Error) => {
        this.client.release(failure); // a connection in an unknown state is closed, not reused
        done(error ?? failure);
      },
    );
  }
}

/**
 * Declares the cursor on a connection of `pool` (checked out in the caller's tenant scope, so
 * row-level security holds) and returns its rows, in batches of up to `batchRows`. Awaiting this holds a connection: a busy pool
 * or a failing statement answers now, before any response has started.
 */
export async function streamRows<Row>(pool: pg.Pool, statement: StatementText, batchRows = BATCH_ROWS): Promise<Readable & AsyncIterable<Row[]>> {
  const client = await pool.connect();
  try {
    // The transaction's BEGIN carries the tenant's setting (src/db/client.ts); the cursor lives until COMMIT.
    await client.query("BEGIN");
    await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${statement.text}`, statement.values);
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return new CursorRows<Row>(client, batchRows) as Readable & AsyncIterable<Row[]>;
}
