// How a delivery attempt reaches an endpoint. The worker only knows this interface; the
// implementation (src/modules/webhooks/simple-transport.ts, or the SSRF-guarded one) is chosen
// in the composition root.
export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** Absent when no response came (timeout, refused connection, refused address). */
  status: number | undefined;
  latencyMs: number;
  responseHeaders: Record<string, string>;
  /** The first 1 KB of the body. */
  responseBody: string | undefined;
  error: string | undefined;
  /** From Retry-After on 429/502/503/504, in milliseconds. */
  retryAfterMs: number | undefined;
  /** success: 2xx; gone: 410 (the endpoint is disabled); failure: anything else, 3xx included. */
  outcome: "success" | "failure" | "gone";
}

export interface WebhookTransport {
  send(url: string, request: WebhookRequest): Promise<WebhookResponse>;
}

export const RESPONSE_BODY_LIMIT = 1024;
const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);

/** Retry-After as delay-seconds or an HTTP date, in milliseconds; only for the statuses it means "later" for. */
export function retryAfterOf(status: number, header: string | null | undefined, now = Date.now()): number | undefined {
  if (!RETRY_AFTER_STATUSES.has(status) || !header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function outcomeOf(status: number): WebhookResponse["outcome"] {
  if (status >= 200 && status < 300) return "success";
  if (status === 410) return "gone";
  return "failure";
}
