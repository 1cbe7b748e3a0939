// One query's rows as a stream, read from a server-side cursor a batch at a time: memory holds a
// batch, not the result, whatever its size, and the reader's pace sets the database's (a batch is
// fetched only when the previous one has been consumed). The connection is the request's own for
// the stream's life and goes back to the pool on every way the stream can end: read to the end,
// failed, or destroyed by a reader that went away.
import type { Readable } from "node:stream";
import type pg from "pg";
import QueryStream from "pg-query-stream";

/** A statement and its parameters, as Prisma.sql builds them (`text` uses $1, $2…). */
export interface StatementText {
  text: string;
  values: unknown[];
}

/** Rows per fetch: big enough that round trips cost little, small enough to stay a few hundred KB. */
const BATCH_ROWS = 500;

/**
 * Opens the cursor on a connection of `pool` (checked out in the caller's tenant scope, so
 * row-level security holds) and returns its rows. Awaiting this holds a connection: a busy pool
 * answers now, before any response has started.
 */
export async function streamRows<Row>(pool: pg.Pool, statement: StatementText, batchRows = BATCH_ROWS): Promise<Readable & AsyncIterable<Row>> {
  const client = await pool.connect();
  try {
    // The checkout's first query carries the tenant's setting (src/db/client.ts); sending it
    // before the cursor means the cursor goes out at once, on a connection already scoped.
    await client.query("SELECT 1");
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  const rows = client.query(new QueryStream(statement.text, statement.values, { batchSize: batchRows }));
  let failure: Error | undefined;
  rows.once("error", (error: Error) => {
    failure = error;
  });
  // After the cursor is closed (end, error or destroy): a failed connection is discarded, not reused.
  rows.once("close", () => client.release(failure));
  return rows as Readable & AsyncIterable<Row>;
}
