// Outbound webhook transport and its address guard. Receivers are real HTTP servers on loopback;
// nothing here sends a packet anywhere else: private and metadata addresses are refused before a
// socket is opened (IP literals are checked as given, other hosts through a lookup the test owns).
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { Problem } from "../src/core/problem.ts";
import { checkWebhookUrl, type ResolveHost, type WebhookAddressPolicy } from "../src/modules/webhooks/address-guard.ts";
import { createWebhookTransport, parseRetryAfter, type WebhookTransport, type WebhookTransportOptions } from "../src/modules/webhooks/transport.ts";

const PUBLIC_ADDRESS = "93.184.215.14";
const closedPolicy: WebhookAddressPolicy = { allowedNetworks: [], allowedPorts: [80, 443, 8080, 8443], requireHttps: false };
const loopbackAllowed: WebhookAddressPolicy = { ...closedPolicy, allowedNetworks: ["127.0.0.0/8", "::1/128"] };

/** A resolver for made-up names; anything else is an error, so no test depends on real DNS. */
function resolverFor(names: Record<string, string | string[]>): ResolveHost {
  return async (hostname) => {
    const answer = names[hostname];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return [answer].flat().map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
}

interface Receiver {
  port: number;
  /** Requests received: method, path, headers and body. */
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: string }>;
  connections: number;
  close(): Promise<void>;
}

type Respond = (request: http.IncomingMessage, response: http.ServerResponse) => void;

const openReceivers: Receiver[] = [];
const openTransports: WebhookTransport[] = [];
afterEach(async () => {
  for (const transport of openTransports.splice(0)) transport.close();
  await Promise.all(openReceivers.splice(0).map((receiver) => receiver.close()));
});

async function startReceiver(respond: Respond = (_, response) => response.end("ok"), host = "127.0.0.1"): Promise<Receiver> {
  const receiver: Receiver = { port: 0, requests: [], connections: 0, close: async () => {} };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      receiver.requests.push({ method: request.method!, path: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString() });
      respond(request, response);
    });
  });
  server.on("connection", () => receiver.connections++);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  openReceivers.push(receiver);
  return receiver;
}

function transport(options: Partial<WebhookTransportOptions> = {}): WebhookTransport {
  const created = createWebhookTransport({ ...closedPolicy, timeoutMs: 5_000, ...options });
  openTransports.push(created);
  return created;
}

const delivery = { headers: { "webhook-id": "msg_1" }, body: JSON.stringify({ type: "ticket.created" }) };

async function refusalOf(url: string, options: Parameters<typeof checkWebhookUrl>[1]): Promise<Problem> {
  const error = await checkWebhookUrl(url, options).then(() => undefined, (thrown: unknown) => thrown);
  expect(error, url).toBeInstanceOf(Problem);
  return error as Problem;
}

// [URL, the address refused, what it is, a network that admits it]. "localhost" resolves through
// the system (hosts file) or, where a test says so, its own resolver; "metadata.test" through the test's.
const SSRF_CORPUS: Array<[string, string, string, string]> = [
  ["http://10.0.0.1/hook", "10.0.0.1", "a private address", "10.0.0.0/8"],
  ["http://172.16.0.1/hook", "172.16.0.1", "a private address", "172.16.0.0/12"],
  ["http://192.168.1.1/hook", "192.168.1.1", "a private address", "192.168.0.0/16"],
  ["http://100.64.0.1/hook", "100.64.0.1", "a carrier-grade NAT (100.64.0.0/10) address", "100.64.0.0/10"],
  ["http://169.254.169.254/latest/meta-data/", "169.254.169.254", "a cloud metadata address", "169.254.169.254/32"],
  ["http://metadata.test/computeMetadata/v1/", "169.254.169.254", "a cloud metadata address", "169.254.0.0/16"],
  ["http://[fd00:ec2::254]/latest/", "fd00:ec2::254", "a cloud metadata address", "fd00::/8"],
  ["http://127.0.0.1/hook", "127.0.0.1", "a loopback address", "127.0.0.0/8"],
  ["http://[::1]/hook", "::1", "a loopback address", "::1/128"],
  ["http://[fc00::1]/hook", "fc00::1", "a unique-local address", "fc00::/7"],
  ["http://[fe80::1]/hook", "fe80::1", "a link-local address", "fe80::/10"],
  ["http://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1", "a loopback address", "127.0.0.0/8"],
  ["http://[::ffff:7f00:1]/hook", "::ffff:7f00:1", "a loopback address", "::ffff:0:0/96"],
  ["http://[64:ff9b::7f00:1]/hook", "64:ff9b::7f00:1", "a loopback address", "64:ff9b::/96"],
  ["http://2130706433/hook", "127.0.0.1", "a loopback address", "127.0.0.1"],
  ["http://0177.0.0.1/hook", "127.0.0.1", "a loopback address", "127.0.0.0/8"],
  ["http://0x7f.1/hook", "127.0.0.1", "a loopback address", "127.0.0.0/8"],
  ["http://127.0.0.1./hook", "127.0.0.1", "a loopback address", "127.0.0.0/8"],
  ["http://localhost/hook", "127.0.0.1", "a loopback address", "127.0.0.0/8"],
  ["http://0.0.0.0/hook", "0.0.0.0", "an unspecified address", "0.0.0.0/8"],
  ["http://[::]/hook", "::", "an unspecified address", "::/128"],
  ["http://224.0.0.1/hook", "224.0.0.1", "a multicast address", "224.0.0.0/4"],
  ["http://255.255.255.255/hook", "255.255.255.255", "a broadcast address", "255.255.255.255/32"],
  ["http://192.0.2.1/hook", "192.0.2.1", "a reserved address", "192.0.2.0/24"],
  ["http://[::7f00:1]/hook", "::7f00:1", "a reserved address", "::/96"],
];

const resolveTestNames = resolverFor({ "metadata.test": "169.254.169.254", "public.test": PUBLIC_ADDRESS, localhost: "127.0.0.1" });

describe("checkWebhookUrl (when an endpoint is saved)", () => {
  it.each(SSRF_CORPUS)("refuses %s (%s) with a 422 at /url naming the setting that would allow it", async (url, address, kind) => {
    const problem = await refusalOf(url, { ...closedPolicy, resolve: resolveTestNames });
    const reason = `${address} is ${kind} (allow it with WEBHOOK_ALLOWED_NETWORKS)`;
    const host = new URL(url).hostname;
    const detail = net.isIP(host.replace(/^\[|\]$/g, "")) ? reason : `${host} resolves to ${address}, and ${reason}`;
    expect(problem).toMatchObject({ status: 422, code: "webhook_url_refused", message: `url is not allowed: ${detail}.`, errors: [{ pointer: "/url", detail }] });
  });

  it("resolves localhost through the system resolver by default, and refuses it", async () => {
    expect((await refusalOf("http://localhost:8080/hook", closedPolicy)).message).toMatch(/localhost resolves to 127\.0\.0\.1, and .* loopback/);
  });

  it.each(SSRF_CORPUS)("accepts %s when its network (%s → %s) is allow-listed", async (url, _address, _kind, network) => {
    await expect(checkWebhookUrl(url, { ...closedPolicy, allowedNetworks: [network], resolve: resolveTestNames })).resolves.toBeInstanceOf(URL);
  });

  it("accepts a public address and a name that resolves to one", async () => {
    await expect(checkWebhookUrl(`https://${PUBLIC_ADDRESS}/hook`, closedPolicy)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("https://public.test/hook", { ...closedPolicy, resolve: resolveTestNames })).resolves.toBeInstanceOf(URL);
  });

  it("refuses a name with any internal answer among public ones", async () => {
    const resolve = resolverFor({ "mixed.test": [PUBLIC_ADDRESS, "10.1.2.3"] });
    expect((await refusalOf("https://mixed.test/hook", { ...closedPolicy, resolve })).message).toMatch(/mixed\.test resolves to 10\.1\.2\.3, and 10\.1\.2\.3 is a private address/);
  });

  it("refuses http:// when https is required, credentials in the URL, other schemes and names that do not resolve", async () => {
    const resolve = resolveTestNames;
    expect((await refusalOf("http://public.test/hook", { ...closedPolicy, requireHttps: true, resolve })).message).toMatch(/must use https:\/\/.*WEBHOOK_REQUIRE_HTTPS=false/);
    await expect(checkWebhookUrl("https://public.test/hook", { ...closedPolicy, requireHttps: true, resolve })).resolves.toBeInstanceOf(URL);
    expect((await refusalOf("https://user:secret@public.test/hook", { ...closedPolicy, resolve })).message).toMatch(/must not contain a user name or password/);
    expect((await refusalOf("ftp://public.test/hook", { ...closedPolicy, resolve })).message).toMatch(/only https:\/\/ and http:\/\//);
    expect((await refusalOf("not a url", { ...closedPolicy, resolve })).message).toMatch(/not an absolute URL/);
    expect((await refusalOf("https://nowhere.test/hook", { ...closedPolicy, resolve })).message).toMatch(/nowhere\.test does not resolve \(ENOTFOUND\)/);
  });

  it("refuses unusual ports on public addresses, naming WEBHOOK_ALLOWED_PORTS, and allows any port when allow-listed", async () => {
    expect((await refusalOf(`https://${PUBLIC_ADDRESS}:25/hook`, closedPolicy)).message).toMatch(/port 25 is not allowed .*WEBHOOK_ALLOWED_PORTS/);
    await expect(checkWebhookUrl(`https://${PUBLIC_ADDRESS}:8443/hook`, closedPolicy)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("http://127.0.0.1:25/hook", loopbackAllowed)).resolves.toBeInstanceOf(URL);
  });
});

describe("the transport refuses internal addresses at connect time", () => {
  it.each(SSRF_CORPUS)("refuses %s (%s) before opening a connection", async (url, address, kind) => {
    const result = await transport({ resolve: resolveTestNames }).send(url, delivery);
    expect(result).toMatchObject({
      status: null,
      outcome: "failure",
      error: `refused: ${address} is ${kind} (allow it with WEBHOOK_ALLOWED_NETWORKS)`,
      responseBody: "",
      responseHeaders: {},
      retryAfterMs: null,
    });
  });

  it("refuses a loopback receiver that is really listening, over http and https, and it sees no connection", async () => {
    const receiver = await startReceiver();
    for (const url of [`http://127.0.0.1:${receiver.port}/hook`, `https://127.0.0.1:${receiver.port}/hook`, `http://localhost:${receiver.port}/hook`, `https://localhost:${receiver.port}/hook`]) {
      const result = await transport().send(url, delivery);
      expect(result.error, url).toBe("refused: 127.0.0.1 is a loopback address (allow it with WEBHOOK_ALLOWED_NETWORKS)");
    }
    expect(receiver.connections).toBe(0);
  });

  it("refuses at connect time a name that answered a public address when it was checked (DNS rebinding)", async () => {
    const receiver = await startReceiver();
    let lookups = 0;
    const rebinding: ResolveHost = async () => [{ address: lookups++ === 0 ? PUBLIC_ADDRESS : "127.0.0.1", family: 4 }];
    const url = `http://rebind.test:${receiver.port}/hook`;
    const policy = { ...closedPolicy, allowedPorts: [receiver.port] };

    await expect(checkWebhookUrl(url, { ...policy, resolve: rebinding })).resolves.toBeInstanceOf(URL);
    const result = await transport({ ...policy, resolve: rebinding }).send(url, delivery);

    expect(result.error).toBe("refused: 127.0.0.1 is a loopback address (allow it with WEBHOOK_ALLOWED_NETWORKS)");
    expect(lookups).toBe(2);
    expect(receiver.connections).toBe(0);
  });

  it("connects to the address its own lookup checked", async () => {
    const receiver = await startReceiver();
    const result = await transport({ ...loopbackAllowed, resolve: resolverFor({ "receiver.test": "127.0.0.1" }) }).send(`http://receiver.test:${receiver.port}/hook`, delivery);
    expect(result).toMatchObject({ status: 200, outcome: "success", error: null });
    expect(receiver.requests[0]!.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it("applies the URL rules on every attempt too", async () => {
    const refused = transport({ requireHttps: true });
    expect((await refused.send(`http://${PUBLIC_ADDRESS}/hook`, delivery)).error).toMatch(/^refused: it must use https:\/\//);
    expect((await refused.send(`https://user:pw@${PUBLIC_ADDRESS}/hook`, delivery)).error).toMatch(/^refused: it must not contain a user name or password/);
    expect((await transport().send(`https://${PUBLIC_ADDRESS}:25/hook`, delivery)).error).toMatch(/^refused: port 25 is not allowed/);
  });
});

describe("delivery to allow-listed loopback receivers", () => {
  it.each([
    ["127.0.0.1", "http://127.0.0.1:PORT/hook"],
    ["::1", "http://[::1]:PORT/hook"],
    ["127.0.0.1", "http://[::ffff:127.0.0.1]:PORT/hook"],
    ["127.0.0.1", "http://2130706433:PORT/hook"],
    ["127.0.0.1", "http://0177.0.0.1:PORT/hook"],
    ["127.0.0.1", "http://0x7f.1:PORT/hook"],
    ["127.0.0.1", "http://localhost:PORT/hook"],
  ])("delivers to a receiver on %s through %s", async (host, template) => {
    const receiver = await startReceiver(undefined, host);
    const result = await transport(loopbackAllowed).send(template.replace("PORT", String(receiver.port)) + "?source=docket", delivery);

    expect(result).toMatchObject({ status: 200, outcome: "success", error: null, responseBody: "ok", retryAfterMs: null });
    expect(receiver.requests).toEqual([
      {
        method: "POST",
        path: "/hook?source=docket",
        body: delivery.body,
        headers: expect.objectContaining({ "content-type": "application/json", "user-agent": "Docket-Webhooks/1", "webhook-id": "msg_1" }),
      },
    ]);
  });

  it("reuses one kept-alive connection for consecutive deliveries", async () => {
    const receiver = await startReceiver();
    const sender = transport(loopbackAllowed);
    for (let i = 0; i < 5; i++) expect((await sender.send(`http://127.0.0.1:${receiver.port}/hook`, delivery)).outcome).toBe("success");
    expect(receiver.requests).toHaveLength(5);
    expect(receiver.connections).toBe(1);
  });
});

describe("what the receiver answers", () => {
  async function answer(respond: Respond, options: Partial<WebhookTransportOptions> = {}) {
    const receiver = await startReceiver(respond);
    const result = await transport({ ...loopbackAllowed, ...options }).send(`http://127.0.0.1:${receiver.port}/hook`, delivery);
    return { result, receiver };
  }

  it("counts any 2xx as success and records the response headers", async () => {
    const { result } = await answer((_, response) => {
      response.setHeader("x-receiver", "yes");
      response.setHeader("set-cookie", ["a=1", "b=2"]);
      response.writeHead(204).end();
    });
    expect(result).toMatchObject({ status: 204, outcome: "success", error: null, responseBody: "" });
    expect(result.responseHeaders).toMatchObject({ "x-receiver": "yes", "set-cookie": "a=1, b=2" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("does not follow a redirect: a 3xx is a failure", async () => {
    const { result, receiver } = await answer((request, response) => {
      response.writeHead(301, { location: `/elsewhere` }).end();
    });
    expect(result).toMatchObject({ status: 301, outcome: "failure", error: "redirect not followed (location: /elsewhere)" });
    expect(receiver.requests.map((request) => request.path)).toEqual(["/hook"]);
  });

  it("reports 410 as gone, and other statuses as failures with the body excerpt", async () => {
    expect((await answer((_, response) => response.writeHead(410).end("endpoint removed"))).result).toMatchObject({ status: 410, outcome: "gone", responseBody: "endpoint removed" });
    expect((await answer((_, response) => response.writeHead(500, { "retry-after": "7" }).end("boom"))).result).toMatchObject({ status: 500, outcome: "failure", responseBody: "boom", retryAfterMs: null });
    expect((await answer((_, response) => response.writeHead(400).end())).result).toMatchObject({ status: 400, outcome: "failure", error: null });
  });

  it.each([429, 503])("reads Retry-After in seconds and as an HTTP-date on %i", async (status) => {
    expect((await answer((_, response) => response.writeHead(status, { "retry-after": "7" }).end())).result).toMatchObject({ status, outcome: "failure", retryAfterMs: 7000 });
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const { result } = await answer((_, response) => response.writeHead(status, { "retry-after": inAMinute }).end());
    expect(result.retryAfterMs).toBeGreaterThan(50_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("parses Retry-After strictly", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("7.5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it("gives up on a receiver that never answers, after the configured timeout", async () => {
    const { result } = await answer(() => {}, { timeoutMs: 200 });
    expect(result).toMatchObject({ status: null, outcome: "failure", error: "timeout after 200 ms" });
  });

  it("keeps the status of a receiver that answers but never finishes the body", async () => {
    const { result } = await answer((_, response) => response.writeHead(200).write("partial"), { timeoutMs: 200 });
    expect(result).toMatchObject({ status: 200, outcome: "success", error: "timeout after 200 ms reading the response body" });
  });

  it("tries once more on a fresh connection when a reused one is dropped before a response", async () => {
    const served = new WeakMap<object, number>();
    const receiver = await startReceiver((request, response) => {
      const count = (served.get(request.socket) ?? 0) + 1;
      served.set(request.socket, count);
      if (count > 1) request.socket.destroy();
      else response.end("ok");
    });
    const sender = transport(loopbackAllowed);
    const url = `http://127.0.0.1:${receiver.port}/hook`;
    expect(await sender.send(url, delivery)).toMatchObject({ status: 200, outcome: "success" });
    expect(await sender.send(url, delivery)).toMatchObject({ status: 200, outcome: "success", error: null });
    expect(receiver.connections).toBe(2);
  });

  it("keeps at most 1 KB of a 5 MB response", async () => {
    const { result } = await answer((_, response) => response.end("x".repeat(5 * 1024 * 1024)));
    expect(result).toMatchObject({ status: 200, outcome: "success", error: null });
    expect(result.responseBody).toBe("x".repeat(1024));
  });

  it("stops reading an endless response once it has the excerpt, well before the timeout", async () => {
    let closed = false;
    const { result } = await answer((request, response) => {
      const chunk = Buffer.alloc(64 * 1024, "y");
      const pump = () => {
        while (!closed && response.write(chunk));
      };
      response.on("drain", pump);
      response.on("close", () => (closed = true));
      pump();
    }, { timeoutMs: 10_000 });
    expect(result).toMatchObject({ status: 200, outcome: "success", error: null, responseBody: "y".repeat(1024) });
    await expect.poll(() => closed).toBe(true);
  });

  it("cuts the excerpt at a character boundary and keeps NUL out of it", async () => {
    const { result } = await answer((_, response) => response.end("a" + "é".repeat(600)));
    expect(result.responseBody).toBe("a" + "é".repeat(511));
    const { result: binary } = await answer((_, response) => response.end(Buffer.from([0, 0xff, 0xfe, ...Buffer.alloc(2000, 0xff)])));
    expect(Buffer.byteLength(binary.responseBody)).toBeLessThanOrEqual(1024);
    expect(binary.responseBody).not.toContain("\u0000");
  });

  it("connects over TLS through the guard and reports a TLS failure as such", async () => {
    const receiver = await startReceiver();
    const result = await transport(loopbackAllowed).send(`https://localhost:${receiver.port}/hook`, delivery);
    expect(result).toMatchObject({ status: null, outcome: "failure", error: "TLS: wrong version number" });
    expect(receiver.connections).toBe(1);
  });

  it("reports a closed port as connection refused and an unknown name as unresolvable", async () => {
    const receiver = await startReceiver();
    const port = receiver.port;
    await receiver.close();
    expect((await transport(loopbackAllowed).send(`http://127.0.0.1:${port}/hook`, delivery)).error).toBe("connection refused");
    expect((await transport({ resolve: resolverFor({}) }).send("https://nowhere.test/hook", delivery)).error).toBe("could not resolve nowhere.test");
  });
});

describe("webhook configuration", () => {
  const strongSecret = "s".repeat(40);
  const load = (env: Record<string, string>) => loadConfig({ JWT_SECRET: strongSecret, DATA_DIR: "/tmp/docket-config-webhooks", PUBLIC_URL: "https://docket.example", WEBHOOK_SECRET_KEY: strongSecret, ...env });

  it("refuses internal networks by default and requires https in production", () => {
    expect(load({}).webhooks).toMatchObject({ allowedNetworks: [], allowedPorts: [80, 443, 8080, 8443], requireHttps: false, timeoutMs: 15_000 });
    expect(load({ NODE_ENV: "production" }).webhooks.requireHttps).toBe(true);
    expect(load({ NODE_ENV: "production", WEBHOOK_REQUIRE_HTTPS: "false" }).webhooks.requireHttps).toBe(false);
  });

  it("reads the allow-list, ports and timeout", () => {
    expect(load({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8, ::1/128,10.0.0.7", WEBHOOK_ALLOWED_PORTS: "443,9000", WEBHOOK_TIMEOUT_MS: "2000" }).webhooks).toMatchObject({
      allowedNetworks: ["127.0.0.0/8", "::1/128", "10.0.0.7"],
      allowedPorts: [443, 9000],
      requireHttps: false,
      timeoutMs: 2000,
    });
  });

  it.each([
    [{ WEBHOOK_ALLOWED_NETWORKS: "localhost" }, /WEBHOOK_ALLOWED_NETWORKS must be comma-separated IP addresses or CIDRs .*got "localhost"/],
    [{ WEBHOOK_ALLOWED_NETWORKS: "10.0.0.0/33" }, /WEBHOOK_ALLOWED_NETWORKS .*got "10.0.0.0\/33"/],
    [{ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8,::1/129" }, /WEBHOOK_ALLOWED_NETWORKS .*got "::1\/129"/],
    [{ WEBHOOK_ALLOWED_PORTS: "443,https" }, /WEBHOOK_ALLOWED_PORTS must be comma-separated port numbers/],
    [{ WEBHOOK_ALLOWED_PORTS: "0" }, /WEBHOOK_ALLOWED_PORTS/],
    [{ WEBHOOK_REQUIRE_HTTPS: "always" }, /WEBHOOK_REQUIRE_HTTPS must be true or false/],
    [{ WEBHOOK_TIMEOUT_MS: "15s" }, /WEBHOOK_TIMEOUT_MS must be a whole number/],
  ])("rejects %o, naming the variable", (env, message) => {
    expect(() => load(env)).toThrow(message);
  });
});
