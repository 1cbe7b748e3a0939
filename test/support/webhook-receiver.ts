// A real webhook receiver on loopback (node:http). It records every request and answers as the
// test tells it to: a status, headers, a delay, or never (to provoke the sender's timeout).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";

export interface ReceivedRequest {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  /** Per path, 1 for the first request. */
  number: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Never answer (until the receiver closes). */
  hang?: boolean;
}

export interface Receiver {
  url(path?: string): string;
  requests(path?: string): ReceivedRequest[];
  /** How to answer the n-th request to a path; default 204. */
  answer(path: string, decide: (request: ReceivedRequest) => Answer): void;
  /** Waits until `count` requests reached the path. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const byPath = new Map<string, ReceivedRequest[]>();
  const deciders = new Map<string, (request: ReceivedRequest) => Answer>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      const list = byPath.get(path) ?? [];
      byPath.set(path, list);
      const request: ReceivedRequest = {
        headers: Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, String(value)])),
        body: Buffer.concat(chunks).toString("utf8"),
        receivedAt: Date.now(),
        number: list.length + 1,
      };
      list.push(request);
      const answer = deciders.get(path)?.(request) ?? {};
      if (answer.hang) {
        hanging.add(res);
        return;
      }
      const send = () => {
        res.writeHead(answer.status ?? 204, answer.headers);
        res.end(answer.body);
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = "/") => `http://127.0.0.1:${port}${path}`,
    requests: (path = "/") => byPath.get(path) ?? [],
    answer: (path, decide) => void deciders.set(path, decide),
    async waitFor(path, count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while ((byPath.get(path)?.length ?? 0) < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} requests to ${path}, got ${byPath.get(path)?.length ?? 0}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return byPath.get(path)!;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Verifies a delivery with the standardwebhooks library (not Docket's code) and returns its payload. */
export function verified(secret: string, request: ReceivedRequest): { type: string; timestamp: string; data: Record<string, unknown> } {
  const payload = new Webhook(secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
  expect(payload).toBeTruthy();
  return payload;
}

/** Polls until the check passes (for state the workers reach on their own time). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
