// Sends one webhook attempt and reports what happened, never throwing: the delivery worker records
// the result and decides about retries. Connections are kept alive per receiver so a busy endpoint
// does not pay a handshake per delivery, and every new connection goes through the address guard,
// on the address the socket actually connects to.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import {
  createAddressGuard,
  guardedLookup,
  hostOf,
  portOf,
  resolveWithSystem,
  WebhookAddressRefused,
  type AddressGuard,
  type ResolveHost,
  type WebhookAddressPolicy,
} from "./address-guard.ts";

export const USER_AGENT = "Docket-Webhooks/1";
export const RESPONSE_EXCERPT_BYTES = 1024;

export interface WebhookTransportOptions extends WebhookAddressPolicy {
  /** Whole attempt: DNS, connect, TLS, response headers and the body excerpt. */
  timeoutMs: number;
  resolve?: ResolveHost;
  /** Concurrent connections per receiver (host and port). */
  maxSocketsPerHost?: number;
}

export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
}

export type AttemptOutcome = "success" | "failure" | "gone";

export interface AttemptResult {
  /** The receiver's HTTP status; null when no response arrived. */
  status: number | null;
  latencyMs: number;
  responseHeaders: Record<string, string>;
  /** At most RESPONSE_EXCERPT_BYTES of the body as UTF-8, cut at a character boundary. */
  responseBody: string;
  /** What went wrong below HTTP (or a redirect not followed); null otherwise. */
  error: string | null;
  /** From Retry-After (seconds or HTTP-date) on 429, 502, 503 and 504; null otherwise. */
  retryAfterMs: number | null;
  /** 2xx: success; 410: gone (the caller disables the endpoint); anything else: failure. */
  outcome: AttemptOutcome;
}

export interface WebhookTransport {
  send(url: string, request: WebhookRequest): Promise<AttemptResult>;
  /** Closes idle kept-alive connections; for shutdown and tests. */
  close(): void;
}

// A kept-alive connection idle longer than this is closed by us before the receiver does (Node's
// server default is 5 s), so a reused socket is rarely one the receiver is closing.
const IDLE_SOCKET_MS = 4_000;

type ConnectCallback = (error: Error | null, stream: Duplex) => void;

/**
 * An IP-literal host is checked at once (net.connect does no lookup for it): a refusal, or null to
 * connect as asked. Any other host gets the guarded lookup, so only a checked address is dialled.
 */
function guardConnection(guard: AddressGuard, resolve: ResolveHost, options: http.ClientRequestArgs): WebhookAddressRefused | net.LookupFunction | null {
  const host = options.host ?? "";
  const port = Number(options.port);
  if (net.isIP(host) === 0) return guardedLookup(guard, resolve, port);
  const reason = guard.refusal(host, port);
  return reason ? new WebhookAddressRefused(reason) : null;
}

/** The agent, with every new connection it opens passing the guard first (kept-alive ones already did). */
function guarded<A extends http.Agent>(agent: A, guard: AddressGuard, resolve: ResolveHost): A {
  const connect = agent.createConnection.bind(agent);
  (agent as http.Agent).createConnection = (options: http.ClientRequestArgs, callback?: ConnectCallback) => {
    const check = guardConnection(guard, resolve, options);
    if (check instanceof Error) return void callback?.(check, undefined as never);
    return connect(check ? { ...options, lookup: check } : options, callback);
  };
  return agent;
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names a month and a time of day; Date.parse alone would also take "7.5" as a date.
  if (!/[A-Za-z]{3}/.test(text) || !/\d{1,2}:\d{2}:\d{2}/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

function outcomeOf(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return "success";
  return status === 410 ? "gone" : "failure";
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** Bytes to text that fits the excerpt: no split character, no NUL (PostgreSQL text refuses it). */
function excerptOf(bytes: Buffer): string {
  let text = new StringDecoder("utf8").write(bytes).replaceAll("\u0000", "\uFFFD");
  // Invalid bytes decode to U+FFFD, three bytes each, so the text can outgrow the bytes it came from.
  while (Buffer.byteLength(text) > RESPONSE_EXCERPT_BYTES) text = text.slice(0, -1).replace(/[\uD800-\uDBFF]$/, "");
  return text;
}

/** Reads up to the excerpt size, then lets go of the response so a huge or endless body costs nothing more. */
async function readExcerpt(response: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= RESPONSE_EXCERPT_BYTES) break; // leaving the loop destroys the response and its socket
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
}

function describeNetworkError(error: NodeJS.ErrnoException, host: string): string {
  if (error instanceof WebhookAddressRefused) return `refused: ${error.message}`;
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset before a response";
    case "ENOTFOUND":
      return `could not resolve ${host}`;
    case "EAI_AGAIN":
      return `could not resolve ${host} (temporary DNS failure)`;
    case "ETIMEDOUT":
      return "connection timed out";
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return "host unreachable";
  }
  if (error.code?.startsWith("HPE_")) return `invalid HTTP response (${error.message})`;
  if (/^(EPROTO$|ERR_(TLS|SSL)_)|CERT|UNABLE_TO_VERIFY/.test(error.code ?? "")) {
    // OpenSSL's messages read "…:SSL routines:<function>:<reason>:<file>:<line>:"; the reason is the useful part.
    return `TLS: ${/SSL routines:[^:]*:([^:]+):/.exec(error.message)?.[1] ?? error.message}`;
  }
  return error.message || error.code || "network error";
}

export function createWebhookTransport(options: WebhookTransportOptions): WebhookTransport {
  const guard = createAddressGuard(options);
  const resolve = options.resolve ?? resolveWithSystem;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 64, maxFreeSockets: options.maxSocketsPerHost ?? 64, timeout: IDLE_SOCKET_MS };
  const httpAgent = guarded(new http.Agent(agentOptions), guard, resolve);
  const httpsAgent = guarded(new https.Agent(agentOptions), guard, resolve);

  /** One request; resolves with the response once its headers arrive. */
  function post(url: URL, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
    return new Promise((resolvePost, reject) => {
      const secure = url.protocol === "https:";
      const request = (secure ? https : http).request({
        agent: secure ? httpsAgent : httpAgent,
        method: "POST",
        host: hostOf(url),
        port: portOf(url),
        path: url.pathname + url.search,
        headers,
        signal,
      });
      request.once("response", (response) => resolvePost({ request, response }));
      // `on`, not `once`: a request can also fail after its response arrived (timeout while reading).
      request.on("error", (error) => reject(Object.assign(error, { reusedSocket: request.reusedSocket })));
      request.end(body);
    });
  }

  async function send(rawUrl: string, message: WebhookRequest): Promise<AttemptResult> {
    const started = performance.now();
    const result = (fields: Partial<AttemptResult>): AttemptResult => ({
      status: null,
      latencyMs: Math.round(performance.now() - started),
      responseHeaders: {},
      responseBody: "",
      error: null,
      retryAfterMs: null,
      outcome: "failure",
      ...fields,
    });

    let url: URL;
    try {
      url = guard.parseUrl(rawUrl);
    } catch (error) {
      return result({ error: `refused: ${(error as Error).message}` });
    }
    const body = Buffer.from(message.body);
    const headers = { ...message.headers, "content-type": "application/json", "user-agent": USER_AGENT, "content-length": String(body.length) };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeoutMs);
    const timeoutError = () => `timeout after ${options.timeoutMs} ms`;

    try {
      let exchange;
      try {
        exchange = await post(url, headers, body, abort.signal);
      } catch (error) {
        // A kept-alive socket the receiver closed just as we reused it: the request almost surely never
        // reached the receiver, so one more try on a fresh connection (receivers de-duplicate by
        // webhook-id anyway) spares a false failure in the delivery log.
        const reset = (error as NodeJS.ErrnoException).code === "ECONNRESET" && (error as { reusedSocket?: boolean }).reusedSocket;
        if (!reset || abort.signal.aborted) throw error;
        exchange = await post(url, headers, body, abort.signal);
      }
      const { response } = exchange;
      const status = response.statusCode ?? 0;
      const responseHeaders = flattenHeaders(response.headers);
      let error: string | null = null;
      let excerpt: Buffer = Buffer.alloc(0);
      try {
        excerpt = await readExcerpt(response);
      } catch {
        // The status is the receiver's answer; a body cut short only loses the excerpt.
        error = abort.signal.aborted ? `${timeoutError()} reading the response body` : "connection closed while reading the response body";
      }
      if (status >= 300 && status < 400) error = `redirect not followed${response.headers.location ? ` (location: ${response.headers.location})` : ""}`;
      return result({
        status,
        responseHeaders,
        responseBody: excerptOf(excerpt),
        error,
        retryAfterMs: RETRY_AFTER_STATUSES.has(status) ? parseRetryAfter(response.headers["retry-after"]) : null,
        outcome: outcomeOf(status),
      });
    } catch (error) {
      return result({ error: abort.signal.aborted ? timeoutError() : describeNetworkError(error as NodeJS.ErrnoException, hostOf(url)) });
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    send,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
