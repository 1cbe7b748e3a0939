// The contract as a document: what YAML would silently accept but a reader of /docs or the SDK
// would notice (a description cut at its first comma into a junk key, a 429 the limiter sends but
// the contract hides, an error example about another operation). `npm run lint:contract` runs
// Redocly's recommended rules on top of this.
import { describe, expect, it } from "vitest";
import fs from "node:fs";
import YAML from "yaml";
import { CONTRACT_PATH, loadContract } from "../src/core/contract.ts";

const contract = loadContract();
const document = contract.document as { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

interface Operation {
  operationId?: string;
  responses?: Record<string, { $ref?: string; headers?: Record<string, { $ref?: string }>; content?: Record<string, { example?: { detail?: string } }> }>;
}

/** Every key of the document with its location, skipping example values (free-form by nature). */
function* entries(node: unknown, at: string): Generator<{ at: string; key: string; value: unknown; parentKey: string }> {
  if (node === null || typeof node !== "object") return;
  for (const [key, value] of Object.entries(node)) {
    yield { at: `${at}/${key}`, key, value, parentKey: at.slice(at.lastIndexOf("/") + 1) };
    if (key === "example" || key === "examples") continue;
    yield* entries(value, `${at}/${key}`);
  }
}

const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, operation]) => typeof operation === "object" && operation !== null && "operationId" in operation)
    .map(([method, operation]) => ({ path, method, operation })),
);

describe("openapi.yaml as a document", () => {
  it("is what the server loads, from its generated JSON copy", () => {
    expect(contract.document).toEqual(YAML.parse(fs.readFileSync(CONTRACT_PATH, "utf8")));
  });

  it("has no junk keys: no null values, no key with spaces or backticks (an unquoted description split at a comma)", () => {
    const junk = [...entries(document, "#")].filter(({ key, value }) => value === null || /[\s`]/.test(key)).map(({ at }) => at);
    expect(junk).toEqual([]);
  });

  it("has a string for every description and summary", () => {
    const notText = [...entries(document, "#")]
      // Under `properties`, a key is a field name (tickets have a `description` field).
      .filter(({ key, value, parentKey }) => (key === "description" || key === "summary") && parentKey !== "properties" && typeof value !== "string")
      .map(({ at }) => at);
    expect(notText).toEqual([]);
  });

  it("declares the rate limit's 429, with its headers, on every /v1 operation", () => {
    const without = operations.filter(({ path, operation }) => path.startsWith("/v1/") && operation.responses?.["429"]?.$ref !== "#/components/responses/TooManyRequests");
    expect(without.map(({ operation }) => operation.operationId)).toEqual([]);
    const tooMany = document.components.responses!.TooManyRequests as { headers: Record<string, unknown> };
    expect(Object.keys(tooMany.headers).sort()).toEqual(["RateLimit", "RateLimit-Policy", "Retry-After"]);
  });

  it("documents the RateLimit fields, defined once, on every success of every /v1 operation", () => {
    const missing = operations
      .filter(({ path }) => path.startsWith("/v1/"))
      .flatMap(({ operation }) =>
        Object.entries(operation.responses ?? {})
          .filter(([status]) => status.startsWith("2"))
          .filter(([, response]) => response.headers?.["RateLimit-Policy"]?.$ref !== "#/components/headers/RateLimit-Policy" || response.headers?.RateLimit?.$ref !== "#/components/headers/RateLimit")
          .map(([status]) => `${operation.operationId} ${status}`),
      );
    expect(missing).toEqual([]);
  });

  it("shows error examples that name no other operation than the one they are on", () => {
    const operationIds = new Set(operations.map(({ operation }) => operation.operationId));
    const misplaced: string[] = [];
    for (const { operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const detail = response.content?.["application/problem+json"]?.example?.detail ?? "";
        const named = detail.split(/\W+/).filter((word) => operationIds.has(word) && word !== operation.operationId);
        if (named.length > 0) misplaced.push(`${operation.operationId} ${status}: ${detail}`);
      }
    }
    // Shared responses are shown on many operations: their examples may name none.
    for (const [name, response] of Object.entries(document.components.responses ?? {})) {
      const text = JSON.stringify(response);
      for (const id of operationIds) if (text.includes(`"${id} `) || text.includes(` ${id} `)) misplaced.push(`components/responses/${name}: ${id}`);
    }
    expect(misplaced).toEqual([]);
  });
});
