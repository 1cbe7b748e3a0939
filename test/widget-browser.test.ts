// The chat widget in a real browser (Debian's Chromium, headless, driven by playwright-core): a
// shop's page on another origin pastes the one-line embed; a visitor opens the chat and writes;
// an agent, through the SDK and the live stream, sees it, types, reads and replies; the visitor
// sees all of that, uploads a file (with upload progress), reloads and finds the history. Then
// verified-only mode turns an anonymous visitor away (in Portuguese, their browser's language)
// and lets a signed one in, and a site that is not allowed cannot frame the chat at all.
// Screenshots of the panel go to test-results/widget/.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createSigner } from "fast-jwt";
import { chromium, type Browser, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openStream } from "./support/stream.ts";
import { PNG } from "./support/attachments.ts";
import { article, section } from "./support/help-center.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = path.resolve(import.meta.dirname, "../test-results/widget");
const VIEWPORT = { width: 1000, height: 760 };

let server: TestServer;
let browser: Browser;
let site: http.Server;
let siteOrigin: string;
/** The same site under another name: another origin, which no tenant allows. */
let otherOrigin: string;

const attribute = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A shop's page: its own content, and the one-line embed (plus a signed identity when it has one). */
function shopPage(query: URLSearchParams): string {
  const token = query.get("token");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Acme Shop</title></head>
<body style="font-family:sans-serif;background:#fafafa"><h1>Acme Shop</h1><p>Everything for your desk.</p>
<script src="${attribute(query.get("api")!)}/widget.js" data-tenant="${attribute(query.get("tenant")!)}"${token ? ` data-identity-token="${attribute(token)}"` : ""} async></script>
</body></html>`;
}

async function openShop(page: Page, origin: string, query: Record<string, string>): Promise<void> {
  await page.goto(`${origin}/?${new URLSearchParams({ api: server.url, ...query })}`);
  // The launcher sits in a closed shadow root, as the site's scripts and styles cannot reach it: click where it is.
  await page.waitForFunction("document.querySelector('[data-docket-widget]') !== null");
  await page.mouse.click(VIEWPORT.width - 48, VIEWPORT.height - 48);
}

async function chatFrame(page: Page): Promise<Frame> {
  for (let waited = 0; waited < 10_000; waited += 100) {
    const frame = page.frames().find((candidate) => candidate.url().includes("/widget/frame"));
    if (frame) return frame;
    await page.waitForTimeout(100);
  }
  throw new Error("the chat frame never appeared");
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

const texts = (frame: Frame) => frame.locator(".messages .bubble").allTextContents();

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  site = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://site");
    if (url.pathname !== "/") return void response.writeHead(404).end();
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(shopPage(url.searchParams));
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  const port = (site.address() as AddressInfo).port;
  siteOrigin = `http://127.0.0.1:${port}`;
  otherOrigin = `http://localhost:${port}`;
  server = await startServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => site?.close(resolve));
});

async function widgetTenant(settings: Record<string, unknown>): Promise<SignedUpTenant> {
  const owner = await signUp(server);
  const saved = await owner.client.PUT("/v1/widget/settings", { body: { allowedOrigins: [siteOrigin], ...settings } });
  expect(saved.error, JSON.stringify(saved.error)).toBeUndefined();
  return owner;
}

describe("the chat widget on a shop's site", () => {
  it("lets a visitor chat live with an agent, send a file, and find it all again after a reload", async () => {
    const owner = await widgetTenant({ appearance: { accentColor: "#6d28d9", greeting: { en: "Hi! Ask us anything about your order." } } });
    const agent = await addMember(server, owner, "agent");
    const queue = await openStream(server.url, agent.client);
    await queue.subscribe("queue", { kind: "tenant" });

    const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await openShop(page, siteOrigin, { tenant: owner.tenant.slug });
    const frame = await chatFrame(page);
    await frame.waitForSelector("#docket-chat[data-state=ready]", { timeout: 15_000 });
    expect(await frame.textContent(".greeting")).toBe("Hi! Ask us anything about your order.");
    expect(await frame.textContent(".status")).toBe("We're online");
    await frame.waitForSelector("#docket-chat[data-live=yes]", { timeout: 10_000 });

    // The visitor writes; markup in a message stays text.
    await frame.fill("textarea", "Hello! My order <b>#1234</b> has not arrived.");
    await frame.press("textarea", "Enter");
    const created = await queue.next("event", (message) => message.event.type === "comment.created", 0);
    const visitorComment = created.event.data as { id: string; body: string; ticketId: string };
    expect(visitorComment.body).toBe("Hello! My order <b>#1234</b> has not arrived.");
    const ticketId = visitorComment.ticketId;
    const ticket = await agent.client.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId } } });
    expect(ticket.data).toMatchObject({ channel: "chat", title: "Hello! My order <b>#1234</b> has not arrived." });
    expect(await frame.locator(".messages b").count()).toBe(0);

    // The agent opens the conversation (presence), types, reads and answers.
    const desk = await openStream(server.url, agent.client);
    await desk.subscribe("chat", { kind: "ticket", ticketId });
    await frame.waitForSelector(".status[data-presence=viewing]", { timeout: 10_000 });
    desk.send({ type: "typing", ticketId });
    await frame.waitForSelector(".typing:not([hidden])", { timeout: 10_000 });
    expect(await frame.textContent(".typing")).toBe("Support is typing…");
    await screenshot(page, "1-agent-typing");
    desk.send({ type: "read", ticketId, commentId: visitorComment.id });
    await frame.waitForSelector(".message.mine .meta[data-state=seen]", { timeout: 10_000 });
    const reply = await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Sorry about that! It ships today." } });
    expect(reply.response.status).toBe(201);
    await frame.waitForSelector(".message.theirs .bubble:text('Sorry about that! It ships today.')", { timeout: 10_000 });
    // The visitor's panel sends its own read receipt for the reply.
    await desk.next("read", (message) => message.commentId === reply.data!.id && message.userId === created.event.actor.id!);

    // The line drops (the server closes the socket as it does when a token runs out); what the
    // agent says meanwhile arrives once the panel has reconnected and resumed after its last event.
    const visitorId = created.event.actor.id!;
    await server.services.stream.hub.sessionsChanged({ ended: [], roleChanged: [{ tenantId: owner.tenant.id, userId: visitorId, role: "agent" }] });
    await frame.waitForSelector("#docket-chat[data-live=no]", { timeout: 10_000 });
    await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Tracking number: 1Z999." } });
    await frame.waitForSelector(".message.theirs .bubble:text('Tracking number: 1Z999.')", { timeout: 15_000 });
    await frame.waitForSelector("#docket-chat[data-live=yes]", { timeout: 10_000 });
    expect(await frame.locator(".bubble:text('Tracking number: 1Z999.')").count()).toBe(1);

    // A file, uploaded with progress.
    await frame.setInputFiles("input[type=file]", { name: "receipt.png", mimeType: "image/png", buffer: PNG });
    await frame.waitForSelector(".message.mine a.file", { timeout: 10_000 });
    expect(await frame.getAttribute(".progress", "data-percent")).toBe("100");
    const files = await agent.client.GET("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId } } });
    expect(files.data!.data.map((file) => file.filename)).toEqual(["receipt.png"]);
    await screenshot(page, "2-conversation");

    // A returning visitor sees their history, and what the agent wrote while they were away is
    // marked read once the panel is connected again (the history loads before the stream opens).
    const shop = page.url();
    await page.goto("about:blank");
    const meanwhile = await agent.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId } }, body: { body: "Anything else?" } });
    expect(meanwhile.response.status).toBe(201);
    await page.goto(shop);
    await page.waitForFunction("document.querySelector('[data-docket-widget]') !== null");
    await page.mouse.click(VIEWPORT.width - 48, VIEWPORT.height - 48);
    const again = await chatFrame(page);
    await again.waitForSelector("#docket-chat[data-state=ready]", { timeout: 15_000 });
    await again.waitForSelector(".message.mine a.file", { timeout: 10_000 });
    expect(await texts(again)).toEqual(["Hello! My order <b>#1234</b> has not arrived.", "Sorry about that! It ships today.", "Tracking number: 1Z999.", "receipt.png", "Anything else?"]);
    await desk.next("read", (message) => message.commentId === meanwhile.data!.id && message.userId === visitorId);
    await screenshot(page, "3-history-after-reload");

    expect(errors).toEqual([]);
    await desk.close();
    await queue.close();
    await context.close();
  });

  it("suggests help-center articles while the visitor types, says when nobody is online and takes an email for a follow-up", async () => {
    const owner = await widgetTenant({});
    const { section: shipping } = await section(owner.client, "Shipping");
    await article(owner.client, { sectionId: shipping.id, locale: "en", title: "When will my order ship?", body: "<p>Orders <b>ship</b> within two working days.</p><script>parent.hacked = true</script>" });
    const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US" });
    const page = await context.newPage();
    await openShop(page, siteOrigin, { tenant: owner.tenant.slug });
    const frame = await chatFrame(page);
    await frame.waitForSelector("#docket-chat[data-state=ready]", { timeout: 15_000 });
    expect(await frame.textContent(".banner .away")).toBe("No one is online right now.");

    await frame.fill("textarea", "how long does shipping take for my order");
    await frame.waitForSelector(".suggestions:not([hidden]) button.article", { timeout: 10_000 });
    expect(await frame.textContent(".suggestions button.article")).toBe("When will my order ship?");
    await frame.click(".suggestions button.article");
    await frame.waitForSelector(".suggestions .article-text[data-full=yes]", { timeout: 10_000 });
    expect(await frame.textContent(".suggestions .article-text")).toBe("Orders ship within two working days.");
    expect(await frame.locator(".suggestions b, .suggestions script").count()).toBe(0);
    await screenshot(page, "4-suggested-articles");
    await frame.fill("textarea", "");

    await frame.fill(".follow-up input", "visitor@example.test");
    await frame.click(".follow-up button");
    await frame.waitForSelector(".banner .saved", { timeout: 10_000 });
    expect(await frame.textContent(".banner .saved")).toBe("Thanks! We'll reply to visitor@example.test.");
    await screenshot(page, "5-nobody-online");
    await context.close();
  });
});

describe("who may chat", () => {
  it("in verified-only mode turns an anonymous visitor away (in their language) and lets a signed one in", async () => {
    const owner = await widgetTenant({ identity: "verified" });
    const secret = (await owner.client.POST("/v1/widget/settings/secret")).data!.secret;

    const context = await browser.newContext({ viewport: VIEWPORT, locale: "pt-BR" });
    const page = await context.newPage();
    await openShop(page, siteOrigin, { tenant: owner.tenant.slug });
    const refused = await chatFrame(page);
    await refused.waitForSelector("#docket-chat[data-state=refused]", { timeout: 15_000 });
    expect(await refused.textContent(".fatal")).toBe("Entre na sua conta para conversar conosco.");
    await screenshot(page, "6-verified-only-refuses-anonymous");

    const token = createSigner({ key: secret, algorithm: "HS256", expiresIn: 300_000 })({ sub: "shop-customer-9", name: "Ada Lovelace", email: "ada@shop.test" });
    await openShop(page, siteOrigin, { tenant: owner.tenant.slug, token });
    const admitted = await chatFrame(page);
    await admitted.waitForSelector("#docket-chat[data-state=ready]", { timeout: 15_000 });
    expect(await admitted.getAttribute("textarea", "placeholder")).toBe("Escreva uma mensagem…");
    await context.close();
  });

  it("cannot be framed by a site outside the allowed origins", async () => {
    const owner = await widgetTenant({});
    const context = await browser.newContext({ viewport: VIEWPORT, locale: "en-US" });
    const page = await context.newPage();
    const consoleLines: string[] = [];
    page.on("console", (message) => consoleLines.push(message.text()));
    await openShop(page, otherOrigin, { tenant: owner.tenant.slug });
    await expect.poll(() => consoleLines.some((line) => line.includes("frame-ancestors")), { timeout: 10_000 }).toBe(true);
    const frame = page.frames().find((candidate) => candidate.url().includes("/widget/frame"));
    expect(await frame?.$("#docket-chat").catch(() => null) ?? null).toBeNull();
    await screenshot(page, "7-disallowed-origin");
    await context.close();
  });
});
