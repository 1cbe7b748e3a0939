// The event feed under webhooks: an event whose transaction commits late is never skipped, and
// nothing uncommitted is ever delivered.
import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { signUp } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { eventually, startReceiver, verified, type Receiver } from "./support/webhook-receiver.ts";
import { feedLag, PEEK_SQL } from "../src/events/feed.ts";
import { PENDING_SQL } from "../src/modules/stream/feed-reader.ts";
import { SYSTEM_ROLE } from "../src/db/client.ts";

let server: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  server = await startServer();
  receiver = await startReceiver();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan that reads the table. */
function scansOf(plan: PlanNode, table: string): PlanNode[] {
  const own = plan["Relation Name"] === table ? [plan] : [];
  return [...own, ...(plan.Plans ?? []).flatMap((child) => scansOf(child, table))];
}

/** An event written the way appendEvent writes it, by a transaction the test holds open. */
async function insertEvent(client: pg.Client, tenantId: string, title: string): Promise<string> {
  const id = crypto.randomUUID();
  await client.query(
    `INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId", after) VALUES ($1, $2, 'ticket.created', 'system', 'ticket', $3, $4)`,
    [tenantId, id, crypto.randomUUID(), JSON.stringify({ title })],
  );
  return id;
}

describe("the event feed", () => {
  it("delivers an event whose transaction was open while later ones committed, and nothing that rolled back", async () => {
    const tenant = await signUp(server);
    const { data: webhook } = await tenant.client.POST("/v1/webhooks", { body: { url: receiver.url("/feed"), eventTypes: ["ticket.created"] } });
    await openTicket(tenant.client, { title: "before" });
    await receiver.waitFor("/feed", 1);

    const slow = new pg.Client({ connectionString: server.databaseUrl });
    const doomed = new pg.Client({ connectionString: server.databaseUrl });
    await slow.connect();
    await doomed.connect();
    try {
      await slow.query("BEGIN");
      const early = await insertEvent(slow, tenant.tenant.id, "early");
      await doomed.query("BEGIN");
      await insertEvent(doomed, tenant.tenant.id, "rolled back");
      // Later transactions commit while the early one is still open.
      await openTicket(tenant.client, { title: "later 1" });
      await openTicket(tenant.client, { title: "later 2" });
      await doomed.query("ROLLBACK");
      await slow.query("COMMIT");

      const requests = await receiver.waitFor("/feed", 4);
      const titles = requests.map((request) => (verified(webhook!.secret, request).data.after as { title: string }).title);
      expect(titles.slice(1).sort()).toEqual(["early", "later 1", "later 2"]);
      expect(requests[titles.indexOf("early")]!.headers["webhook-id"]).toBe(early);
    } finally {
      await slow.end();
      await doomed.end();
    }
    // Nothing else arrives: the rolled-back event never does.
    await openTicket(tenant.client, { title: "after" });
    const all = await receiver.waitFor("/feed", 5);
    expect(all.map((request) => (verified(webhook!.secret, request).data.after as { title: string }).title)).not.toContain("rolled back");
  });

  it("finds whether a consumer has anything to read with one probe of the log's index, however long the log", async () => {
    // Each consumer asks this on every poll, several times a second under load. With an EXISTS the
    // planner expected a third of the log past the cursor and scanned the whole table, so the cost
    // grew with the log: 12 ms at 100,000 events, most of PostgreSQL's CPU under write load. The
    // plan is the one a log of 50,000 events with fresh statistics gets, as the feed (docket_system)
    // prepares it; the events roll back.
    const { tenant } = await signUp(server);
    const owner = new pg.Client({ connectionString: server.databaseUrl });
    await owner.connect();
    try {
      await owner.query("BEGIN");
      await owner.query(
        `INSERT INTO "Event" ("tenantId", id, type, "actorType", "entityType", "entityId") SELECT $1, gen_random_uuid(), 'ticket.created', 'system', 'ticket', gen_random_uuid() FROM generate_series(1, 50000)`,
        [tenant.id],
      );
      await owner.query(`ANALYZE "Event"`);
      await owner.query(`SET LOCAL ROLE ${SYSTEM_ROLE}`);
      await owner.query("SET LOCAL plan_cache_mode = force_generic_plan");
      await owner.query(`PREPARE peek(text) AS ${PEEK_SQL}`);
      await owner.query(`PREPARE pending(xid8, bigint) AS ${PENDING_SQL}`);
      for (const statement of ["peek('webhooks')", "pending('0', 0)"]) {
        const { rows } = await owner.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) EXECUTE ${statement}`);
        const scans = scansOf(rows[0]!["QUERY PLAN"][0]!.Plan, "Event");
        expect(scans.map((scan) => `${scan["Node Type"]} ${scan["Index Name"] ?? ""}`), statement).toEqual([expect.stringMatching(/^Index (Only )?Scan Event_txId_seq_idx$/)]);
      }
    } finally {
      await owner.query("ROLLBACK").catch(() => undefined);
      await owner.end();
    }
  });

  it("reports how far each consumer trails the log", async () => {
    await eventually(async () => {
      const lag = await feedLag(server.database.system.prisma);
      expect(lag).toEqual([
        { consumer: "notifications", eventsBehind: 0, secondsBehind: 0 },
        { consumer: "routing", eventsBehind: 0, secondsBehind: 0 },
        { consumer: "triage", eventsBehind: 0, secondsBehind: 0 },
        { consumer: "webhooks", eventsBehind: 0, secondsBehind: 0 },
      ]);
    });
  });
});
