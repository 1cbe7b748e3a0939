// One load step: a short warm-up, then a timed autocannon run whose every response time is kept
// (autocannon's own histogram truncates to whole milliseconds, too coarse for 2 ms requests).
import autocannon, { type Options, type RequestStep } from "autocannon";

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export interface LoadResult {
  name: string;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Responses that were not 2xx, by status, plus connection errors and timeouts. */
  failures: string | undefined;
}

export interface LoadTarget {
  /** The whole URL; or with `next`, only the origin (http://host:port). */
  url: string;
  method?: "GET" | "POST" | "PATCH";
  headers?: Record<string, string>;
  /** Called for each request: its path (and body, and headers on top of `headers`); a fixed path when absent. */
  next?: () => { path: string; body?: string; headers?: Record<string, string> };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

async function fire(target: LoadTarget, connections: number, durationSeconds: number, onResponse?: (status: number, ms: number) => void) {
  const step: RequestStep = {};
  if (target.next) {
    const next = target.next;
    step.setupRequest = (request) => {
      const { path, body, headers } = next();
      request.path = path;
      if (body !== undefined) request.body = body;
      if (headers !== undefined) request.headers = { ...request.headers, ...headers };
      return request;
    };
  }
  const options: Options = {
    url: target.url,
    connections,
    duration: durationSeconds,
    timeout: 10,
    method: target.method ?? "GET",
    headers: target.headers ?? {},
    requests: [step],
  };
  return new Promise<{ duration: number; errors: number; timeouts: number }>((resolve, reject) => {
    const instance = autocannon(options, (error, result) => {
      clearTimeout(guard);
      if (error) reject(error);
      else resolve(result);
    });
    // autocannon ends on its own after `duration`; this only bounds a run that hangs.
    const guard = setTimeout(() => instance.stop(), (durationSeconds + 20) * 1000);
    if (onResponse) instance.on("response", (_client, statusCode, _bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}

/** `around` is told when the measured part starts (after the warm-up) and ends. */
export async function measure(name: string, target: LoadTarget, settings: LoadSettings, around?: { start(): void; end(): void }): Promise<LoadResult> {
  if (settings.warmupSeconds > 0) await fire(target, settings.connections, settings.warmupSeconds);
  around?.start();
  let times = new Float64Array(1 << 16);
  let count = 0;
  const statuses = new Map<number, number>();
  const result = await fire(target, settings.connections, settings.durationSeconds, (status, ms) => {
    if (status >= 200 && status < 300) {
      if (count === times.length) {
        const bigger = new Float64Array(times.length * 2);
        bigger.set(times);
        times = bigger;
      }
      times[count++] = ms;
    } else {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  });
  around?.end();
  const sorted = times.subarray(0, count).sort();
  const failures = [
    ...[...statuses].map(([status, n]) => `${n}×${status}`),
    result.errors > 0 ? `${result.errors} errors` : "",
    result.timeouts > 0 ? `${result.timeouts} timeouts` : "",
  ].filter(Boolean);
  return {
    name,
    requests: count,
    requestsPerSecond: count / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    failures: failures.length > 0 ? failures.join(", ") : undefined,
  };
}
