// The help center through the real server: staff write drafts and publish them, anyone reads what
// is published by tenant slug without logging in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, signUp, type Helpdesk } from "./support/fixtures.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { article, draft, publicArticle, publish, section } from "./support/help-center.ts";

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

const anonymous = () => server.client();

describe("an article's life", () => {
  it("starts as a draft, is published, and keeps its published version while the draft is edited", async () => {
    const written = await draft(desk.agent.client, { sectionId, locale: "en", title: "Reset your password", body: "Click Forgot password on the sign-in page.", labels: ["Account"] });
    expect(written).toMatchObject({ status: "draft", published: null, hasUnpublishedChanges: true, labels: ["account"], authorId: desk.agent.user.id, locale: "en" });
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, written.id))).response.status).toBe(404);

    const published = await publish(desk.agent.client, written.id);
    expect(published).toMatchObject({ status: "published", hasUnpublishedChanges: false, published: { title: "Reset your password" } });
    const read = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, written.id));
    expect(read.data).toMatchObject({ title: "Reset your password", body: "Click Forgot password on the sign-in page.", labels: ["account"] });

    const edited = await desk.agent.client.PATCH("/v1/help-center/articles/{articleId}", { params: { path: { articleId: written.id } }, body: { title: "Reset a forgotten password" } });
    expect(edited.data).toMatchObject({ title: "Reset a forgotten password", hasUnpublishedChanges: true, published: { title: "Reset your password" } });
    // The public and a `user` still read the published version.
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, written.id))).data!.title).toBe("Reset your password");
    const asUser = await desk.customer.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: written.id } } });
    expect(asUser.data).toMatchObject({ title: "Reset your password", hasUnpublishedChanges: false });

    await publish(desk.agent.client, written.id);
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, written.id))).data!.title).toBe("Reset a forgotten password");

    const unpublished = await desk.agent.client.POST("/v1/help-center/articles/{articleId}/unpublish", { params: { path: { articleId: written.id } } });
    expect(unpublished.data).toMatchObject({ status: "draft", title: "Reset a forgotten password" });
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, written.id))).response.status).toBe(404);

    // Each step is an event of the tenant's trail, without the body.
    await eventually(async () => {
      const { data } = await desk.owner.client.GET("/v1/events", { params: { query: { limit: 100 } } });
      const mine = data!.data.filter((event) => event.entity.id === written.id);
      expect(mine.map((event) => event.type)).toEqual(["article.created", "article.published", "article.updated", "article.published", "article.unpublished"]);
      expect(JSON.stringify(mine)).not.toContain("Forgot password");
    });
  });

  it("links translations, each locale once, and shows the public only the published ones", async () => {
    const english = await article(desk.agent.client, { sectionId, locale: "en", title: "Billing cycles", body: "You are billed monthly." });
    const portuguese = await article(desk.agent.client, { translationOf: english.id, locale: "PT-br", title: "Ciclos de cobrança", body: "A cobrança é mensal." });
    expect(portuguese).toMatchObject({ locale: "pt-BR", sectionId, translationGroupId: english.translationGroupId, translations: [{ id: english.id, locale: "en" }] });
    const spanish = await draft(desk.agent.client, { translationOf: english.id, locale: "es", title: "Ciclos de facturación", body: "Se factura mensualmente." });

    const again = await desk.agent.client.POST("/v1/help-center/articles", { body: { translationOf: spanish.id, locale: "pt-BR", title: "Outra", body: "x" } });
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ code: "translation_exists" });

    const staff = await desk.agent.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: english.id } } });
    expect(staff.data!.translations).toEqual([
      { id: spanish.id, locale: "es" },
      { id: portuguese.id, locale: "pt-BR" },
    ]);
    const read = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(slug, english.id));
    expect(read.data!.translations).toEqual([{ id: portuguese.id, locale: "pt-BR" }]);
  });

  it("refuses bad input with problems, never a 500", async () => {
    const badLocale = await desk.agent.client.POST("/v1/help-center/articles", { body: { sectionId, locale: "english!", title: "x", body: "y" } });
    expect(badLocale.response.status).toBe(400);
    const noSection = await desk.agent.client.POST("/v1/help-center/articles", { body: { locale: "en", title: "x", body: "y" } });
    expect(noSection.error).toMatchObject({ status: 400, errors: [{ pointer: "/sectionId" }] });
    const otherSection = await desk.agent.client.POST("/v1/help-center/articles", { body: { sectionId: "00000000-0000-4000-8000-000000000000", locale: "en", title: "x", body: "y" } });
    expect(otherSection.error).toMatchObject({ status: 400, errors: [{ pointer: "/sectionId" }] });
    const { category, section: full } = await section(desk.agent.client, "Full");
    await draft(desk.agent.client, { sectionId: full.id, locale: "en", title: "Keeps it", body: "" });
    const notEmpty = await desk.agent.client.DELETE("/v1/help-center/categories/{categoryId}", { params: { path: { categoryId: category.id } } });
    expect(notEmpty.error).toMatchObject({ status: 409, code: "category_not_empty" });
    const sectionNotEmpty = await desk.agent.client.DELETE("/v1/help-center/sections/{sectionId}", { params: { path: { sectionId: full.id } } });
    expect(sectionNotEmpty.error).toMatchObject({ status: 409, code: "section_not_empty" });
    const badCursor = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles", { params: { path: { tenantSlug: slug }, query: { cursor: "nonsense" } } });
    expect(badCursor.response.status).toBe(400);
  });
});

describe("drafts", () => {
  it("are listed for staff only: never for the public, nor for a `user`", async () => {
    const { section: own } = await section(desk.agent.client, "Drafts");
    const shown = await article(desk.agent.client, { sectionId: own.id, locale: "en", title: "Shown", body: "Out there." });
    const hidden = await draft(desk.agent.client, { sectionId: own.id, locale: "en", title: "Hidden", body: "Not yet." });
    const ids = (list: { data?: { data: { id: string }[] } }) => list.data!.data.map((row) => row.id);

    expect(ids(await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles", { params: { path: { tenantSlug: slug }, query: { sectionId: own.id } } }))).toEqual([shown.id]);
    expect(ids(await desk.customer.client.GET("/v1/help-center/articles", { params: { query: { sectionId: own.id } } }))).toEqual([shown.id]);
    expect((await desk.customer.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: hidden.id } } })).response.status).toBe(404);
    expect(ids(await desk.agent.client.GET("/v1/help-center/articles", { params: { query: { sectionId: own.id } } })).sort()).toEqual([shown.id, hidden.id].sort());
    expect(ids(await desk.agent.client.GET("/v1/help-center/articles", { params: { query: { sectionId: own.id, status: "draft" } } }))).toEqual([hidden.id]);
    // A `user` may not write.
    const refused = await desk.customer.client.POST("/v1/help-center/articles", { body: { sectionId: own.id, locale: "en", title: "Mine", body: "" } });
    expect(refused.response.status).toBe(403);
  });

  it("list promoted articles first, then by position, a page at a time", async () => {
    const { section: own } = await section(desk.agent.client, "Order");
    const second = await article(desk.agent.client, { sectionId: own.id, locale: "en", title: "Second", body: "", position: 2 });
    const first = await article(desk.agent.client, { sectionId: own.id, locale: "en", title: "First", body: "", position: 1 });
    const promoted = await article(desk.agent.client, { sectionId: own.id, locale: "en", title: "Promoted", body: "", position: 9, promoted: true });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles", { params: { path: { tenantSlug: slug }, query: { sectionId: own.id, limit: 1, cursor } } });
      seen.push(...data!.data.map((row) => row.id));
      cursor = data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([promoted.id, first.id, second.id]);
  });
});

describe("the public help center", () => {
  it("serves categories and sections without credentials", async () => {
    const { category, section: own } = await section(desk.agent.client, "Public");
    const categories = await anonymous().GET("/v1/public/{tenantSlug}/help-center/categories", { params: { path: { tenantSlug: slug } } });
    expect(categories.data!.data.map((row) => row.id)).toContain(category.id);
    const sections = await anonymous().GET("/v1/public/{tenantSlug}/help-center/sections", { params: { path: { tenantSlug: slug }, query: { categoryId: category.id } } });
    expect(sections.data!.data).toEqual([expect.objectContaining({ id: own.id, name: "Public" })]);
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/categories", { params: { path: { tenantSlug: "no-such-tenant" } } })).response.status).toBe(404);
  });

  it("never shows one tenant's articles under another's slug", async () => {
    const other = await signUp(server);
    const mine = await article(desk.agent.client, { sectionId, locale: "en", title: "Isolation guarantees", body: "Confidential wording about isolation." });
    const theirs = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(other.tenant.slug, mine.id));
    expect(theirs.response.status).toBe(404);
    const search = await anonymous().GET("/v1/public/{tenantSlug}/help-center/search", { params: { path: { tenantSlug: other.tenant.slug }, query: { q: "isolation" } } });
    expect(search.data!.data).toEqual([]);
    const listed = await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles", { params: { path: { tenantSlug: other.tenant.slug } } });
    expect(listed.data!.data).toEqual([]);
    const vote = await anonymous().PUT("/v1/public/{tenantSlug}/help-center/articles/{articleId}/vote", { ...publicArticle(other.tenant.slug, mine.id), body: { value: "helpful", visitorId: "visitor-isolation" } });
    expect(vote.response.status).toBe(404);
    // And the other tenant's staff do not see it either.
    expect((await other.client.GET("/v1/help-center/articles/{articleId}", { params: { path: { articleId: mine.id } } })).response.status).toBe(404);
  });

  it("is not served for a suspended tenant", async () => {
    const suspended = await helpdesk(server);
    const { section: own } = await section(suspended.agent.client);
    const shown = await article(suspended.agent.client, { sectionId: own.id, locale: "en", title: "Soon gone", body: "" });
    const tenantSlug = suspended.owner.tenant.slug;
    expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(tenantSlug, shown.id))).response.status).toBe(200);
    const operator = { authorization: `Bearer ${server.config.platformOperatorToken}` };
    const changed = await anonymous().PATCH("/v1/platform/tenants/{tenantId}", { headers: operator, params: { path: { tenantId: suspended.owner.tenant.id } }, body: { status: "suspended" } });
    expect(changed.response.status).toBe(200);
    // Within the few seconds the slug's answer is kept.
    await eventually(async () => {
      expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/articles/{articleId}", publicArticle(tenantSlug, shown.id))).response.status).toBe(404);
      expect((await anonymous().GET("/v1/public/{tenantSlug}/help-center/categories", { params: { path: { tenantSlug } } })).response.status).toBe(404);
    });
  });
});
