// The address guard for outbound webhooks. Nothing here opens a connection: private and metadata
// addresses are refused as IP literals or through a lookup the test owns.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { Problem } from "../src/core/problem.ts";
import { checkWebhookUrl, type ResolveHost, type WebhookAddressPolicy } from "../src/modules/webhooks/address-guard.ts";

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

describe("webhook configuration", () => {
  const strongSecret = "s".repeat(40);
  const load = (env: Record<string, string>) => loadConfig({ JWT_SECRET: strongSecret, DATA_DIR: "/tmp/docket-config-webhooks", ...env });

  it("refuses internal networks by default and requires https in production", () => {
    expect(load({}).webhooks).toEqual({ allowedNetworks: [], allowedPorts: [80, 443, 8080, 8443], requireHttps: false, timeoutMs: 15_000 });
    expect(load({ NODE_ENV: "production" }).webhooks.requireHttps).toBe(true);
    expect(load({ NODE_ENV: "production", WEBHOOK_REQUIRE_HTTPS: "false" }).webhooks.requireHttps).toBe(false);
  });

  it("reads the allow-list, ports and timeout", () => {
    expect(load({ WEBHOOK_ALLOWED_NETWORKS: "127.0.0.0/8, ::1/128,10.0.0.7", WEBHOOK_ALLOWED_PORTS: "443,9000", WEBHOOK_TIMEOUT_MS: "2000" }).webhooks).toEqual({
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
