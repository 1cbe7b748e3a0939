// A loopback server that speaks OpenAI's chat.completions with structured output, for tests of the
// OpenAI-compatible provider: it answers each task's json_schema with a fixed, valid object, and can
// be told to fail the next requests (429, 500, a hang past the client's timeout, an off-schema answer).
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Behaviour = "ok" | "429" | "500" | "hang" | "off-schema";

export interface ChatRequest {
  headers: http.IncomingHttpHeaders;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format: { type: string; json_schema: { name: string; strict: boolean; schema: Record<string, unknown> } };
  };
}

export interface FakeOpenAi {
  /** The base URL to configure as AI_BASE_URL. */
  baseUrl: string;
  requests: ChatRequest[];
  /** Behaviours for the next requests of one task (its schema's name), in order; afterwards "ok". */
  next(task: Task, ...behaviours: Behaviour[]): void;
  /** The requests of one task so far. */
  count(task: Task): number;
  close(): Promise<void>;
}

export type Task = "docket_triage" | "docket_summary" | "docket_review";

export const FAKE_MODEL = "fake-gpt-2025-11";

const ANSWERS: Record<string, (request: ChatRequest) => unknown> = {
  docket_triage: () => ({
    language: "de",
    sentiment: "negative",
    sentimentScore: -0.7,
    category: "billing",
    suggestedPriority: "high",
    // "astrology" is nobody's skill: the provider must drop it.
    skills: [
      { skill: "astrology", confidence: 0.9 },
      { skill: "Billing", confidence: 0.8 },
    ],
    keywords: ["rechnung"],
    notes: ["Customer was double charged; check the payment provider."],
    confidence: { language: 0.99, sentiment: 0.8, category: 0.9, priority: 0.7 },
  }),
  docket_summary: () => ({
    summary: "Problem: double charge. Done: refund issued. Status: pending. Next: confirm receipt.",
    problem: "The customer was charged twice.",
    actions: "The agent issued a refund.",
    status: "Pending the customer's confirmation.",
    nextStep: "Confirm the refund arrived.",
    entities: { people: ["Jane Doe"], organisations: ["Acme"], products: [], dates: ["3 March 2025"], amounts: ["$49.00"], orderNumbers: ["INV-20931"] },
  }),
  docket_review: () => ({
    categories: [
      { category: "tone", score: 90, evidence: ["Happy to help"], rationale: "friendly" },
      { category: "greeting", score: 80, evidence: ["Hi"], rationale: "greets" },
    ],
  }),
};

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const requests: ChatRequest[] = [];
  const queues = new Map<string, Behaviour[]>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
        res.writeHead(404).end();
        return;
      }
      const request: ChatRequest = { headers: req.headers, body: JSON.parse(raw) };
      requests.push(request);
      const name = request.body.response_format.json_schema.name;
      const behaviour = queues.get(name)?.shift() ?? "ok";
      if (behaviour === "429") return void res.writeHead(429, { "content-type": "application/json", "retry-after": "0" }).end('{"error":{"message":"rate limited"}}');
      if (behaviour === "500") return void res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"message":"boom"}}');
      if (behaviour === "hang") return void hanging.add(res);
      const content = behaviour === "off-schema" ? JSON.stringify({ verdict: "whatever" }) : JSON.stringify(ANSWERS[name]!(request));
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: "chat.completion",
          created: Math.floor(Date.now() / 1000),
          model: FAKE_MODEL,
          choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" }],
          usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    next: (task, ...behaviours) => queues.set(task, [...(queues.get(task) ?? []), ...behaviours]),
    count: (task) => requests.filter((request) => request.body.response_format.json_schema.name === task).length,
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
