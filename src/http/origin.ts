// The origin a client reached the API at, for links the API signs to itself (local storage).
// PUBLIC_URL when configured. Without it the request's scheme and host are used (X-Forwarded-*
// only when TRUST_PROXY is on, which Fastify handles), but only for a host this server answers
// to: loopback, its own HOST, or ALLOWED_HOSTS. Anything else would let `Host: evil.example`
// hand out upload and download links to evil.example. (Production with local storage refuses
// to start without PUBLIC_URL; see config.ts.)
import type { FastifyRequest } from "fastify";
import { problems } from "../core/problem.ts";

export interface OriginOptions {
  publicUrl: string | undefined;
  /** The address the server listens on (HOST). */
  listenHost: string;
  /** Extra hosts trusted in the Host header (ALLOWED_HOSTS), with or without a port. */
  allowedHosts: readonly string[];
  /** False with S3, which signs its own URLs and ignores the origin: nothing to check then. */
  signsOwnLinks: boolean;
}

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]", "::1"];
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "::", "[::]"]);

function hostnameOf(host: string): string {
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d+$/, "");
}

export function originResolver({ publicUrl, listenHost, allowedHosts, signsOwnLinks }: OriginOptions): (request: FastifyRequest) => string {
  if (publicUrl !== undefined) return () => publicUrl;
  if (!signsOwnLinks) return (request) => `${request.protocol}://${request.host}`;
  const trusted = new Set([...LOOPBACK, ...(WILDCARD_ADDRESSES.has(listenHost) ? [] : [listenHost]), ...allowedHosts].map((host) => host.toLowerCase()));
  return (request) => {
    const host = request.host.toLowerCase();
    const hostname = hostnameOf(host);
    if (!trusted.has(host) && !trusted.has(hostname) && !hostname.endsWith(".localhost")) throw problems.untrustedHost(request.host);
    return `${request.protocol}://${request.host}`;
  };
}
