// Committing without waiting for the flush, then waiting for it before answering
// (src/db/early-commit.ts): ticket creation lets go of the tenant's numbering lock at its commit and
// answers only once that commit is on disk. What the caller relies on: after waitForFlush,
// everything committed before it is flushed, for the application's own role.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { waitForFlush } from "../src/db/early-commit.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

describe("an early commit", () => {
  it("is on disk once waitForFlush returns", async () => {
    const client = await server.database.pool.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL synchronous_commit = off");
      // A few bytes of WAL, so that the transaction has a commit record to flush.
      await client.query(`SELECT pg_logical_emit_message(true, 'docket.test', 'early')`);
      await client.query("COMMIT");
      const { rows: committed } = await client.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");
      await waitForFlush(server.database.pool);
      const { rows } = await client.query<{ flushed: boolean }>("SELECT pg_current_wal_flush_lsn() >= $1::pg_lsn AS flushed", [committed[0]!.lsn]);
      expect(rows[0]!.flushed).toBe(true);
    } finally {
      client.release();
    }
  });
});
