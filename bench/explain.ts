// EXPLAIN (ANALYZE, BUFFERS) of the listing's real SQL: listTickets from src/ is run against a
// stand-in database that only records the statement it is given, so the plan shown is the plan
// of exactly the query the API sends (same text, same parameters), however listing.ts changes.
import type pg from "pg";
import type { Database } from "../src/db/client.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import type { UserPrincipal } from "../src/core/principal.ts";
import type { QueryOf } from "../src/core/contract-types.ts";
import { listTickets } from "../src/modules/tickets/listing.ts";

/** The first statement listTickets sends for this query (sort=nextBreachAt sends a second only when the first's rows run out). */
export async function listingSql(principal: UserPrincipal, query: QueryOf<"listTickets">): Promise<{ text: string; values: unknown[] }> {
  let captured: Prisma.Sql | undefined;
  const recorder = {
    $queryRaw(strings: TemplateStringsArray, ...values: unknown[]) {
      captured ??= Prisma.sql(strings, ...(values as Prisma.Sql[]));
      return Promise.resolve([]);
    },
  } as unknown as Database;
  await listTickets(recorder, principal, query);
  if (!captured) throw new Error("listTickets sent no query");
  return { text: captured.text, values: captured.values };
}

export async function explainListing(client: pg.Client, principal: UserPrincipal, query: QueryOf<"listTickets">): Promise<string> {
  const { text, values } = await listingSql(principal, query);
  const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
  const shown = values.map((value, i) => `$${i + 1} = ${JSON.stringify(value)}`).join(", ");
  return [text.replace(/\s+/g, " ").trim(), `  -- ${shown}`, ...rows.map((row) => row["QUERY PLAN"])].join("\n");
}
