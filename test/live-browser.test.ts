// The live client in a real browser, as a frontend team ships it: headless Chromium (Debian's
// `chromium`, driven by playwright-core) loads a page from another origin that imports the packed
// and installed SDK through an import map, logs in, subscribes to a ticket and renders its
// comments. A comment posted through the API appears on the page.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, PASSWORD } from "./support/fixtures.ts";
import { installSdk, packSdk } from "./support/sdk-package.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// The page a frontend team would write: everything it knows comes from its query string.
const PAGE = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Docket live</title>
<script type="importmap">{ "imports": { "@docket/sdk": "/sdk/index.js", "openapi-fetch": "/openapi-fetch/index.mjs" } }</script>
</head>
<body>
<p id="status">loading</p>
<ul id="comments"></ul>
<script type="module">
import { createDocketClient, createLiveClient } from "@docket/sdk";
const query = new URLSearchParams(location.search);
const docket = createDocketClient({ baseUrl: query.get("api") });
const login = await docket.POST("/v1/auth/login", {
  body: { tenantSlug: query.get("tenant"), email: query.get("email"), password: query.get("password") },
});
if (login.error) throw new Error(login.error.detail ?? login.error.title);
const live = createLiveClient(docket);
live.on("status", (status) => (document.querySelector("#status").textContent = status.state));
const subscription = live.subscribe({ kind: "ticket", ticketId: query.get("ticket") }, {
  onEvent(event) {
    if (event.type !== "comment.created" || !event.data) return;
    const item = document.createElement("li");
    item.textContent = event.data.body;
    document.querySelector("#comments").append(item);
  },
});
await subscription.live;
document.body.dataset.live = "yes";
</script>
</body>
</html>
`;

let server: TestServer;
let browser: Browser;
let pages: http.Server;
let pageOrigin: string;
let workDir: string;

/** Serves the page and the installed packages' ESM files, as any static host would. */
function servePage(consumer: string): http.Server {
  const roots: Record<string, string> = {
    "/sdk/": path.join(consumer, "node_modules/@docket/sdk/dist/"),
    "/openapi-fetch/": path.join(consumer, "node_modules/openapi-fetch/dist/"),
  };
  return http.createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://page").pathname;
    if (pathname === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE);
      return;
    }
    const prefix = Object.keys(roots).find((candidate) => pathname.startsWith(candidate));
    const file = prefix ? path.join(roots[prefix]!, path.normalize(pathname.slice(prefix.length))) : undefined;
    if (!file || !file.startsWith(roots[prefix!]!) || !fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(fs.readFileSync(file));
  });
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-live-browser-"));
  const consumer = path.join(workDir, "consumer");
  const packed = await packSdk(workDir);
  await installSdk(packed.tarball, consumer);
  pages = servePage(consumer);
  await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  // The page's origin differs from the API's (another port): the API must allow it by CORS.
  server = await startServer({ corsOrigins: [pageOrigin] });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await new Promise((resolve) => pages?.close(resolve));
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe("a page on another origin using the installed SDK's live client", () => {
  it("logs in, subscribes to a ticket and shows a comment posted through the API", async () => {
    const owner = await signUp(server);
    const agent = await addMember(server, owner, "agent");
    const ticket = await owner.client.POST("/v1/tickets", { body: { title: "Printer on fire" } });
    expect(ticket.response.status).toBe(201);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    const query = new URLSearchParams({ api: server.url, tenant: owner.tenant.slug, email: owner.admin.email, password: PASSWORD, ticket: ticket.data!.id });
    await page.goto(`${pageOrigin}/?${query}`);
    await page.waitForSelector("body[data-live=yes]", { timeout: 20_000 }).catch(() => {
      throw new Error(`the page never went live: ${problems.join("; ") || "no page error"}`);
    });
    expect(await page.textContent("#status")).toBe("open");

    const posted = await agent.client.POST("/v1/tickets/{ticketId}/comments", {
      params: { path: { ticketId: ticket.data!.id } },
      body: { body: "Have you tried turning it off and on again?" },
    });
    expect(posted.response.status).toBe(201);

    const comment = page.locator("#comments li", { hasText: "Have you tried turning it off and on again?" });
    await comment.waitFor({ timeout: 20_000 });
    expect(await page.locator("#comments li").allTextContents()).toEqual(["Have you tried turning it off and on again?"]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
