// A minimal transport: fetch without following redirects, with a timeout. It does not guard
// against private addresses; the SSRF-safe transport replaces it in the composition root.
import { outcomeOf, retryAfterOf, RESPONSE_BODY_LIMIT, type WebhookResponse, type WebhookTransport } from "./webhook-transport.ts";

export function createSimpleTransport(): WebhookTransport {
  return {
    async send(url, request): Promise<WebhookResponse> {
      const startedAt = performance.now();
      const latency = () => Math.round(performance.now() - startedAt);
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: request.headers,
          body: request.body,
          redirect: "manual",
          signal: AbortSignal.timeout(request.timeoutMs),
        });
        const text = await readExcerpt(response);
        return {
          status: response.status,
          latencyMs: latency(),
          responseHeaders: Object.fromEntries(response.headers),
          responseBody: text,
          error: undefined,
          retryAfterMs: retryAfterOf(response.status, response.headers.get("retry-after")),
          outcome: outcomeOf(response.status),
        };
      } catch (error) {
        const name = (error as Error).name;
        const message = name === "TimeoutError" ? `no response within ${request.timeoutMs} ms` : describe(error);
        return { status: undefined, latencyMs: latency(), responseHeaders: {}, responseBody: undefined, error: message, retryAfterMs: undefined, outcome: "failure" };
      }
    },
  };
}

/** The body's first kilobyte; the rest is not read (a huge or endless body cannot hold a worker). */
async function readExcerpt(response: Response): Promise<string | undefined> {
  if (!response.body) return undefined;
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short still leaves what was read.
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString("utf8");
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}: ${cause.message ?? ""}`.trim();
  return (error as Error).message ?? String(error);
}
