// How many published articles of a tenant's locale hold each word, for suggestions: a text's
// rarest words say most about it, and a query of its common ones would match (and rank) nearly
// every article. Counted by ts_stat over the locale's search vectors, which reads them all, so the
// counts are kept a while per tenant and locale and recounted in the background, never on a
// request's time (until the first count is in, suggestions use the text's words as they come).
import type { Db } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import type { Logger } from "../../logger.ts";

const TTL_MS = 10 * 60_000;
const MAX_ENTRIES = 200;

export interface TermStats {
  /** Articles holding each word, or undefined while not yet counted (a count is then started). */
  documentFrequencies(tenantId: string, locale: string): ReadonlyMap<string, number> | undefined;
}

export function createTermStats(db: Db, logger: Logger, ttlMs = TTL_MS): TermStats {
  const counted = new Map<string, { frequencies: ReadonlyMap<string, number>; until: number }>();
  const counting = new Set<string>();

  function recount(tenantId: string, locale: string, key: string): void {
    if (counting.has(key)) return;
    counting.add(key);
    tenantScope
      .run(tenantId, () =>
        db.$queryRaw<{ word: string; ndoc: number }[]>`
          SELECT word, ndoc FROM ts_stat(format('SELECT "searchVector" FROM "HelpCenterArticle" WHERE "tenantId" = %L AND locale = %L AND "searchVector" IS NOT NULL', ${tenantId}::text, ${locale}::text))`,
      )
      .then((rows) => {
        counted.delete(key);
        if (counted.size >= MAX_ENTRIES) counted.delete(counted.keys().next().value!);
        counted.set(key, { frequencies: new Map(rows.map((row) => [row.word, Number(row.ndoc)])), until: Date.now() + ttlMs });
      })
      .catch((error: unknown) => logger.warn({ err: error }, "could not count the help center's words"))
      .finally(() => counting.delete(key));
  }

  return {
    documentFrequencies(tenantId, locale) {
      const key = `${tenantId}:${locale}`;
      const entry = counted.get(key);
      if (!entry || entry.until <= Date.now()) recount(tenantId, locale, key);
      return entry?.frequencies;
    },
  };
}
