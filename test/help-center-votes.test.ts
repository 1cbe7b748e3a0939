// Votes, views and the popular list of the help center, and the public API's rate limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trail } from "./support/events.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { article, draft, publicArticle, section } from "./support/help-center.ts";
import { startRedis } from "./support/redis.ts";
import { VIEWS_KEY } from "../src/modules/help-center/view-counter.ts";

let server: TestServer;
let desk: Helpdesk;
let slug: string;
let sectionId: string;

beforeAll(async () => {
  server = await startServer();
  desk = await helpdesk(server);
  slug = desk.owner.tenant.slug;
  sectionId = (await section(desk.agent.client)).section.id;
});
afterAll(async () => {
  await server.close();
});

const vote = (articleId: string, value: "helpful" | "not_helpful", visitorId: string, tenantSlug = slug) =>
  server.client().PUT("/v1/public/{tenantSlug}/help-center/articles/{articleId}/vote", { ...publicArticle(tenantSlug, articleId), body: { value, visitorId } });

async function helpedEvents(articleId: string) {
  const { data } = await trail(server, desk.owner.client, { limit: 100 });
  return data.filter((event) => event.type === "article.helped" && event.entity.id === articleId);
}

describe("votes", () => {
  it("count once per visitor, change when the visitor changes their mind, and say when an article helped", async () => {
    const voted = await article(desk.agent.client, { sectionId, locale: "en", title: "Voted on", body: "" });
    expect((await vote(voted.id, "helpful", "visitor-aaaa")).data).toEqual({ articleId: voted.id, value: "helpful", helpfulCount: 1, notHelpfulCount: 0 });
    // The same vote again (a retry, a double click) changes nothing.
    expect((await vote(voted.id, "helpful", "visitor-aaaa")).data).toMatchObject({ helpfulCount: 1, notHelpfulCount: 0 });
    expect((await vote(voted.id, "helpful", "visitor-bbbb")).data).toMatchObject({ helpfulCount: 2, notHelpfulCount: 0 });
    expect((await vote(voted.id, "not_helpful", "visitor-aaaa")).data).toMatchObject({ helpfulCount: 1, notHelpfulCount: 1 });

    // A logged-in user votes as themselves, through the same rules.
    const byUser = () => desk.customer.client.PUT("/v1/help-center/articles/{articleId}/vote", { params: { path: { articleId: voted.id } }, body: { value: "helpful" } });
    expect((await byUser()).data).toMatchObject({ helpfulCount: 2, notHelpfulCount: 1 });
    expect((await byUser()).data).toMatchObject({ helpfulCount: 2, notHelpfulCount: 1 });

    const read = await server.client().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, voted.id));
    expect(read.data).toMatchObject({ helpfulCount: 2, notHelpfulCount: 1 });
    // One article.helped per vote that became helpful: two visitors and the user.
    const events = await eventually(async () => {
      const events = await helpedEvents(voted.id);
      expect(events).toHaveLength(3);
      return events;
    });
    expect(events.map((event) => event.actor.type).sort()).toEqual(["system", "system", "user"]);
    expect(events.find((event) => event.actor.type === "user")).toMatchObject({ actor: { id: desk.customer.user.id }, after: { voter: "user", locale: "en" } });
  });

  it("keep the counts equal to the votes under concurrent voting", async () => {
    const busy = await article(desk.agent.client, { sectionId, locale: "en", title: "Busy", body: "" });
    await Promise.all(Array.from({ length: 20 }, (_, i) => vote(busy.id, i % 2 === 0 ? "helpful" : "not_helpful", `visitor-${String(i % 10).padStart(4, "0")}`)));
    const staff = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: busy.id } } });
    expect(staff.data!.helpfulCount + staff.data!.notHelpfulCount).toBe(10);
  });

  it("are refused on drafts and for bad visitor ids", async () => {
    const hidden = await draft(desk.agent.client, { sectionId, locale: "en", title: "Not yet", body: "" });
    expect((await vote(hidden.id, "helpful", "visitor-cccc")).response.status).toBe(404);
    expect((await vote(hidden.id, "helpful", "x")).response.status).toBe(400);
  });
});

describe("views", () => {
  it("reach the article's count in batches, not a write per view", async () => {
    const viewed = await article(desk.agent.client, { sectionId, locale: "en", title: "Viewed", body: "" });
    for (let i = 0; i < 3; i++) await server.client().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, viewed.id));
    await eventually(async () => {
      const staff = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: viewed.id } } });
      expect(staff.data!.viewCount).toBe(3);
    });
  });

  it("counted just before a shutdown are kept", async () => {
    // An instance that would flush only hourly: its views reach the database when it stops.
    const instance = await startServer({ helpCenter: { viewFlushMs: 3_600_000 }, workers: false }, { databaseUrl: server.databaseUrl });
    const viewed = await article(desk.agent.client, { sectionId, locale: "en", title: "Viewed before a restart", body: "" });
    for (let i = 0; i < 2; i++) await instance.client().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, viewed.id));
    const before = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: viewed.id } } });
    expect(before.data!.viewCount).toBe(0);
    await instance.close();
    const after = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: viewed.id } } });
    expect(after.data!.viewCount).toBe(2);
  });

  it("are shared by the instances through Redis, and whichever flushes adds them all", async () => {
    const redis = await startRedis();
    const hourly = { redisUrl: redis.url, helpCenter: { viewFlushMs: 3_600_000 }, workers: false };
    const a = await startServer(hourly, { databaseUrl: server.databaseUrl });
    const b = await startServer(hourly, { databaseUrl: server.databaseUrl });
    try {
      const viewed = await article(desk.agent.client, { sectionId, locale: "en", title: "Viewed on two instances", body: "" });
      for (const instance of [a, a, b, b, b]) await instance.client().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, viewed.id));
      await eventually(async () => expect(await redis.client.hget(VIEWS_KEY, `${desk.owner.tenant.id}:${viewed.id}`)).toBe("5"));
      await b.services.articleViews.flush();
      const staff = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: viewed.id } } });
      expect(staff.data!.viewCount).toBe(5);
      expect(await redis.client.hlen(VIEWS_KEY)).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await redis.close();
    }
  });
});

describe("popular articles", () => {
  it("rank by views and helpful votes within one locale", async () => {
    const { section: own } = await section(desk.agent.client, "Popular");
    const read = (articleId: string) => server.client().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, articleId));
    const quiet = await article(desk.agent.client, { sectionId: own.id, locale: "de", title: "Ruhig", body: "" });
    const viewed = await article(desk.agent.client, { sectionId: own.id, locale: "de", title: "Gelesen", body: "" });
    const liked = await article(desk.agent.client, { sectionId: own.id, locale: "de", title: "Geholfen", body: "" });
    const english = await article(desk.agent.client, { sectionId: own.id, locale: "en", translationOf: viewed.id, title: "Read a lot", body: "" });
    for (let i = 0; i < 5; i++) await read(viewed.id);
    for (let i = 0; i < 30; i++) await read(english.id);
    await vote(liked.id, "helpful", "visitor-dddd");
    await eventually(async () => {
      const { data } = await server.client().GET("/v1/public/{tenantSlug}/help-center/articles/popular", { params: { path: { tenantSlug: slug }, query: { locale: "de", limit: 3 } } });
      expect(data!.data.map((row) => row.id)).toEqual([liked.id, viewed.id, quiet.id]);
      expect(data!.data[1]).toMatchObject({ title: "Gelesen", viewCount: 5, locale: "de" });
    });
  });
});

describe("the public API's rate limits", () => {
  it("limit reads per address, like the other anonymous requests", async () => {
    const limited = await startServer({ rateLimit: { perMinute: 3, authPerMinute: 100, tenantPerMinute: 1_000_000 } }, { databaseUrl: server.databaseUrl });
    try {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${limited.url}/v1/public/${slug}/help-center/categories`);
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await last!.json()).toMatchObject({ status: 429, code: "rate_limited" });
    } finally {
      await limited.close();
    }
  });

  it("limit votes per address more tightly, whatever visitor ids are sent", async () => {
    const limited = await startServer({ rateLimit: { perMinute: 1_000, authPerMinute: 100, publicWritesPerMinute: 2 } }, { databaseUrl: server.databaseUrl });
    try {
      const target = await article(desk.agent.client, { sectionId, locale: "en", title: "Stuffed ballot box", body: "" });
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${limited.url}/v1/public/${slug}/help-center/articles/${target.id}/vote`, {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ value: "helpful", visitorId: `visitor-fresh-${i}` }),
        });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect(last!.headers.get("ratelimit-policy")).toBe('"public-write";q=2;w=60');
      // Reading is not held back by the votes' limit.
      expect((await fetch(`${limited.url}/v1/public/${slug}/help-center/articles/${target.id}`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
