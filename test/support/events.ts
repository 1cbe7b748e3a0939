// Reading the tenant's event trail in a test. The trail shows only transactions older than the
// oldest one still running anywhere on the PostgreSQL server (see events/service.ts), and every
// test file shares that server: a long write in one file (a seed, a bulk change) holds back what
// another file's trail shows. So a test first waits until its own writes are behind that horizon,
// then reads; a bare read can miss an event that did commit, and an absence would prove nothing.
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";
import type { QueryOf } from "../../src/core/contract-types.ts";
import type { TestServer } from "./server.ts";
import { eventually } from "./webhook-receiver.ts";

/** Resolves once every transaction that committed before the call is behind the trail's horizon. */
export async function trailCaughtUp(server: TestServer): Promise<void> {
  const db = server.database.system.prisma;
  // Taking a transaction id marks "now": every write that committed before it has a smaller one.
  const { now } = (await db.$queryRaw<{ now: string }[]>`SELECT pg_current_xact_id()::text AS now`)[0]!;
  await eventually(async () => {
    const { passed } = (await db.$queryRaw<{ passed: boolean }[]>`SELECT pg_snapshot_xmin(pg_current_snapshot()) > ${now}::xid8 AS passed`)[0]!;
    expect(passed, "another transaction on the server is still open").toBe(true);
  }, 60_000);
}

/** One page of the trail, once it shows everything committed so far. */
export async function trail(server: TestServer, client: DocketClient, query: QueryOf<"listEvents"> = {}): Promise<Schemas["EventFeed"]> {
  await trailCaughtUp(server);
  const { data, error } = await client.GET("/v1/events", { params: { query } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

/** The types of the trail's events (up to 100) for these filters. */
export async function trailTypes(server: TestServer, client: DocketClient, query: QueryOf<"listEvents"> = {}): Promise<string[]> {
  return (await trail(server, client, { limit: 100, ...query })).data.map((event) => event.type);
}

/** The ticket's events of one type (up to 100), as its tenant's admin reads them. */
export async function eventsOfType(server: TestServer, client: DocketClient, type: string, ticketId: string): Promise<Schemas["Event"][]> {
  return (await trail(server, client, { type: [type], ticketId, limit: 100 })).data;
}
