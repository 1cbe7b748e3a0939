// Which addresses a webhook may reach. One classifier serves two checks: when an endpoint is
// saved (checkWebhookUrl resolves the host and answers 422) and at every connection the transport
// opens (guardedLookup / refusal are applied to the address the socket is about to connect to), so
// a DNS answer that changes between the two (rebinding) cannot reach an internal address.
// Address ranges come from ipaddr.js (the classifier Fastify's proxy-addr uses); only the
// policy on top of them is ours.
import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { problems, type Problem } from "../../core/problem.ts";

export interface WebhookAddressPolicy {
  /** CIDRs exempt from the address and port rules (tests, local development, an internal receiver). */
  allowedNetworks: readonly string[];
  /** Ports an endpoint outside allowedNetworks may use. */
  allowedPorts: readonly number[];
  /** Refuse plain http:// URLs (production). */
  requireHttps: boolean;
}

/** Every address a host name resolves to; the system resolver unless a test supplies its own. */
export type ResolveHost = (hostname: string) => Promise<dns.LookupAddress[]>;

export const resolveWithSystem: ResolveHost = (hostname) => dns.promises.lookup(hostname, { all: true, order: "verbatim" });

/** A URL or address the policy refuses; the message says why and which setting would allow it. */
export class WebhookAddressRefused extends Error {
  readonly code = "ERR_WEBHOOK_ADDRESS_REFUSED";
  constructor(reason: string) {
    super(reason);
    this.name = "WebhookAddressRefused";
  }
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Network = [Address, number];

// Instance metadata services hand out credentials; named apart so the message is unmistakable.
// (All of them are also inside a refused range: link-local, unique-local, CGNAT, reserved.)
const METADATA_ADDRESSES = new Set(["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "192.0.0.192"]);

const RANGE_LABELS: Record<string, string> = {
  private: "a private",
  loopback: "a loopback",
  linkLocal: "a link-local",
  carrierGradeNat: "a carrier-grade NAT (100.64.0.0/10)",
  uniqueLocal: "a unique-local",
  unspecified: "an unspecified",
  multicast: "a multicast",
  broadcast: "a broadcast",
};

const NAT64_WELL_KNOWN: Network = ipaddr.parseCIDR("64:ff9b::/96");
// Everything public in IPv6 is inside 2000::/3; the rest is reserved or special (e.g. the
// deprecated IPv4-compatible ::a.b.c.d, which ipaddr.js calls unicast).
const GLOBAL_UNICAST_V6: Network = ipaddr.parseCIDR("2000::/3");

/** "a loopback address", "a cloud metadata address"…, or null for a public unicast address. */
function describeSpecial(address: Address): string | null {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6;
    // ::ffff:a.b.c.d reaches a.b.c.d over a dual-stack socket; 64:ff9b::a.b.c.d through a NAT64 gateway.
    if (v6.isIPv4MappedAddress()) return describeSpecial(v6.toIPv4Address());
    if (v6.match(NAT64_WELL_KNOWN)) return describeSpecial(ipaddr.fromByteArray(v6.toByteArray().slice(12)));
  }
  if (METADATA_ADDRESSES.has(address.toString())) return "a cloud metadata address";
  const range = address.range();
  if (range !== "unicast") return `${RANGE_LABELS[range] ?? "a reserved"} address`;
  if (address.kind() === "ipv6" && !address.match(GLOBAL_UNICAST_V6)) return "a reserved address";
  return null;
}

// Entries are validated by loadConfig (WEBHOOK_ALLOWED_NETWORKS); a bare address is a network of one.
function parseNetwork(entry: string): Network {
  return entry.includes("/") ? ipaddr.parseCIDR(entry) : [ipaddr.parse(entry), ipaddr.parse(entry).kind() === "ipv4" ? 32 : 128];
}

function withinAny(address: Address, networks: readonly Network[]): boolean {
  return networks.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}

export interface AddressGuard {
  /** Why connecting to this address and port is refused, or null when it may proceed. */
  refusal(address: string, port: number): string | null;
  /** The URL when its scheme and credentials pass (addresses and ports are checked by refusal); throws WebhookAddressRefused. */
  parseUrl(url: string): URL;
}

export function createAddressGuard(policy: WebhookAddressPolicy): AddressGuard {
  const allowed = policy.allowedNetworks.map(parseNetwork);
  const ports = new Set(policy.allowedPorts);

  function isAllowListed(address: Address): boolean {
    if (withinAny(address, allowed)) return true;
    // 127.0.0.0/8 on the list also admits ::ffff:127.0.0.1, the same destination.
    const v6 = address as ipaddr.IPv6;
    return address.kind() === "ipv6" && v6.isIPv4MappedAddress() && withinAny(v6.toIPv4Address(), allowed);
  }

  function refusal(address: string, port: number): string | null {
    let parsed: Address;
    try {
      parsed = ipaddr.parse(address);
    } catch {
      return `${address} is not an IP address`;
    }
    if (isAllowListed(parsed)) return null;
    const special = describeSpecial(parsed);
    if (special) return `${address} is ${special} (allow it with WEBHOOK_ALLOWED_NETWORKS)`;
    if (!ports.has(port)) {
      return `port ${port} is not allowed for webhooks (allowed: ${[...ports].join(", ")}; more with WEBHOOK_ALLOWED_PORTS)`;
    }
    return null;
  }

  function parseUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookAddressRefused("it is not an absolute URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new WebhookAddressRefused(`only https:// and http:// URLs are allowed, not ${url.protocol}//`);
    if (url.protocol === "http:" && policy.requireHttps) throw new WebhookAddressRefused("it must use https:// (plain http:// is allowed only with WEBHOOK_REQUIRE_HTTPS=false)");
    if (url.username !== "" || url.password !== "") throw new WebhookAddressRefused("it must not contain a user name or password (receivers verify the webhook-signature header instead)");
    return url;
  }

  return { refusal, parseUrl };
}

/** The host to connect to: the URL's hostname without the brackets of an IPv6 literal. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

export function portOf(url: URL): number {
  return url.port !== "" ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

/**
 * A `lookup` for net.connect that resolves the host and refuses the connection if any answer is
 * refused: the socket then connects only to an address this check has seen.
 */
export function guardedLookup(guard: AddressGuard, resolve: ResolveHost, port: number): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        if (answers.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "");
        for (const { address } of answers) {
          const reason = guard.refusal(address, port);
          if (reason) return callback(new WebhookAddressRefused(reason), "");
        }
        if (options.all) return callback(null, answers);
        const first = answers.find((answer) => !options.family || answer.family === options.family) ?? answers[0]!;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

function refused(reason: string): Problem {
  return problems.webhookUrlRefused(reason);
}

/**
 * For saving an endpoint: the parsed URL, or a 422 problem pointing at /url that says why and which
 * setting would allow it. The transport checks again at every connection; this is the early answer.
 */
export async function checkWebhookUrl(url: string, options: WebhookAddressPolicy & { resolve?: ResolveHost }): Promise<URL> {
  const guard = createAddressGuard(options);
  let parsed: URL;
  try {
    parsed = guard.parseUrl(url);
  } catch (error) {
    if (error instanceof WebhookAddressRefused) throw refused(error.message);
    throw error;
  }
  const host = hostOf(parsed);
  let addresses: string[];
  if (net.isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = (await (options.resolve ?? resolveWithSystem)(host)).map((answer) => answer.address);
    } catch (error) {
      throw refused(`its host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? "DNS error"})`);
    }
    if (addresses.length === 0) throw refused(`its host ${host} does not resolve`);
  }
  for (const address of addresses) {
    const reason = guard.refusal(address, portOf(parsed));
    if (reason) throw refused(host === address ? reason : `${host} resolves to ${address}, and ${reason}`);
  }
  return parsed;
}
