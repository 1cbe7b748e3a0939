// Finding help-center articles: full-text search per locale with highlighted snippets and filters,
// suggestions for a ticket and for a visitor's text, and the popular list per locale.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Helpdesk } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { article, draft, section } from "./support/help-center.ts";
import type { Schemas } from "../sdk/index.ts";

let server: TestServer;
let desk: Helpdesk;
let slug: string;
let accounts: { category: Schemas["HelpCenterCategory"]; section: Schemas["HelpCenterSection"] };
let billing: { category: Schemas["HelpCenterCategory"]; section: Schemas["HelpCenterSection"] };
const articles: Record<string, Schemas["HelpCenterArticle"]> = {};

beforeAll(async () => {
  server = await startServer();
  desk = await helpdesk(server);
  slug = desk.owner.tenant.slug;
  accounts = await section(desk.agent.client, "Accounts");
  billing = await section(desk.agent.client, "Billing");
  const write = (key: string, body: Schemas["HelpCenterArticleCreate"]) => article(desk.agent.client, body).then((created) => (articles[key] = created));
  await write("reset", {
    sectionId: accounts.section.id,
    locale: "en",
    title: "Resetting passwords",
    body: "If you forgot your password, open Sign-in & Security and choose <b>Forgot password</b>. We email a link that resets it.",
    labels: ["login"],
  });
  await write("twoFactor", { sectionId: accounts.section.id, locale: "en", title: "Two-factor authentication", body: "Protect your account with a second factor besides the password.", labels: ["security"] });
  await write("invoices", { sectionId: billing.section.id, locale: "en", title: "Downloading invoices", body: "Invoices are emailed each month; download past invoices from Billing." });
  await write("resetPt", {
    translationOf: articles.reset!.id,
    locale: "pt-BR",
    title: "Redefinição de senhas",
    body: "Se você esqueceu a sua senha, abra a página de entrada e escolha Esqueci a senha. Enviamos um link por email.",
  });
  await write("invoicesPt", { translationOf: articles.invoices!.id, locale: "pt-BR", title: "Baixar faturas", body: "As faturas são enviadas todo mês por email." });
  await draft(desk.agent.client, { sectionId: accounts.section.id, locale: "en", title: "Unreleased password policy", body: "A draft about passwords nobody may find yet." });
});
afterAll(async () => {
  await server.close();
});

const search = (query: { q: string; locale?: string; sectionId?: string; categoryId?: string; label?: string; limit?: number; cursor?: string }) =>
  server.client().GET("/v1/public/{tenantSlug}/help-center/search", { params: { path: { tenantSlug: slug }, query } });

describe("search", () => {
  it("finds published articles by stemmed words, title first, with HTML-safe highlighted snippets", async () => {
    const { data } = await search({ q: "reset password" });
    expect(data!.data.map((hit) => hit.id)).toEqual([articles.reset!.id]);
    const hit = data!.data[0]!;
    expect(hit).toMatchObject({ title: "Resetting passwords", locale: "en", sectionId: accounts.section.id, labels: ["login"] });
    // The matches marked; the author's markup left out and the rest escaped, so the snippet is safe as HTML.
    expect(hit.snippet).toContain("<mark>password</mark>");
    expect(hit.snippet).toContain("Sign-in &amp; Security");
    expect(hit.snippet).not.toContain("<b>");

    const ranked = await search({ q: "password" });
    expect(ranked.data!.data.map((row) => row.id)).toEqual([articles.reset!.id, articles.twoFactor!.id]);
  });

  it("searches one locale at a time, in that language's stemming", async () => {
    const portuguese = await search({ q: "senha", locale: "pt-BR" });
    expect(portuguese.data!.data.map((hit) => hit.id)).toEqual([articles.resetPt!.id]);
    expect(portuguese.data!.data[0]!.snippet).toContain("<mark>senha</mark>");
    // Plural to singular by the Portuguese stemmer.
    expect((await search({ q: "faturas", locale: "pt-br" })).data!.data.map((hit) => hit.id)).toEqual([articles.invoicesPt!.id]);
    expect((await search({ q: "senha", locale: "en" })).data!.data).toEqual([]);
    // A language PostgreSQL has no dictionary for is searched word for word.
    const japanese = await article(desk.agent.client, { translationOf: articles.invoices!.id, locale: "ja", title: "Invoice download", body: "invoice download help" });
    expect((await search({ q: "download", locale: "ja" })).data!.data.map((hit) => hit.id)).toEqual([japanese.id]);
  });

  it("filters by category, section and label, and pages with a cursor", async () => {
    expect((await search({ q: "email", categoryId: billing.category.id })).data!.data.map((hit) => hit.id)).toEqual([articles.invoices!.id]);
    expect((await search({ q: "email", sectionId: accounts.section.id })).data!.data.map((hit) => hit.id)).toEqual([articles.reset!.id]);
    expect((await search({ q: "password", label: "security" })).data!.data.map((hit) => hit.id)).toEqual([articles.twoFactor!.id]);
    const first = await search({ q: "email", limit: 1 });
    expect(first.data!.data).toHaveLength(1);
    const second = await search({ q: "email", limit: 1, cursor: first.data!.nextCursor! });
    expect(second.data!.data).toHaveLength(1);
    expect(second.data!.nextCursor).toBeNull();
    expect([...first.data!.data, ...second.data!.data].map((hit) => hit.id).sort()).toEqual([articles.reset!.id, articles.invoices!.id].sort());
  });

  it("never finds drafts, for the public or for staff", async () => {
    expect((await search({ q: "policy" })).data!.data).toEqual([]);
    const staff = await desk.agent.client.GET("/v1/help-center/search", { params: { query: { q: "policy" } } });
    expect(staff.data!.data).toEqual([]);
    const customer = await desk.customer.client.GET("/v1/help-center/search", { params: { query: { q: "invoices" } } });
    expect(customer.data!.data.map((hit) => hit.id)).toEqual([articles.invoices!.id]);
  });

  it("answers odd input with a problem or nothing, never a 500", async () => {
    expect((await search({ q: "the and of" })).data!.data).toEqual([]);
    expect((await search({ q: '"unbalanced' })).response.status).toBe(200);
    expect((await search({ q: "x", locale: "not a locale" })).response.status).toBe(400);
    expect((await search({ q: "x", cursor: "bm9wZQ" })).response.status).toBe(400);
  });
});

describe("suggestions", () => {
  it("for a ticket: by its title and description, in its requester's locale, for agents only", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "I can't log in", description: "I forgot my password and the link never arrived" });
    const suggested = await desk.agent.client.GET("/v1/tickets/{ticketId}/suggested-articles", { params: { path: { ticketId: ticket.id } } });
    expect(suggested.data!.locale).toBe("en");
    expect(suggested.data!.data[0]!.id).toBe(articles.reset!.id);

    // A requester who reads Portuguese gets Portuguese articles.
    const patched = await desk.owner.client.PATCH("/v1/users/{userId}", { params: { path: { userId: desk.customer.user.id } }, body: { locale: "pt-br" } });
    expect(patched.data!.locale).toBe("pt-BR");
    const inPortuguese = await openTicket(desk.customer.client, { title: "Esqueci a minha senha", description: "Não consigo entrar" });
    const portuguese = await desk.agent.client.GET("/v1/tickets/{ticketId}/suggested-articles", { params: { path: { ticketId: inPortuguese.id } } });
    expect(portuguese.data).toMatchObject({ locale: "pt-BR", data: [expect.objectContaining({ id: articles.resetPt!.id })] });

    const asCustomer = await desk.customer.client.GET("/v1/tickets/{ticketId}/suggested-articles", { params: { path: { ticketId: ticket.id } } });
    expect(asCustomer.response.status).toBe(403);
  });

  it("for a visitor's text, without credentials: any of its words count", async () => {
    const { data } = await server.client().POST("/v1/public/{tenantSlug}/help-center/suggestions", {
      params: { path: { tenantSlug: slug } },
      body: { text: "hello, where can I download last month's invoice?", limit: 3 },
    });
    expect(data!.data[0]!.id).toBe(articles.invoices!.id);
    const nothing = await server.client().POST("/v1/public/{tenantSlug}/help-center/suggestions", { params: { path: { tenantSlug: slug } }, body: { text: "the of and" } });
    expect(nothing.data).toEqual({ locale: "en", data: [] });
  });
});
