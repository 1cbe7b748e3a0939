// The contract is the source of truth: every operation in openapi.yaml is served, each by its
// own handler, and nothing is served that the contract does not describe.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadContract } from "../src/core/contract.ts";
import { checkHandlersMatchContract } from "../src/app.ts";
import { startServer, type TestServer } from "./support/server.ts";

const contract = loadContract();
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

/** openapi path → the route Fastify registered for it. */
const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

describe("contract ↔ routes", () => {
  it("serves every operation of the contract with its own handler", () => {
    expect(contract.operations.size).toBeGreaterThan(15);
    for (const operation of contract.operations.values()) {
      const route = server.app.findRoute({ method: operation.method as "GET", url: fastifyPath(operation.path) });
      expect(route, `${operation.operationId}: ${operation.method} ${operation.path}`).not.toBeNull();
    }
  });

  it("refuses to start unless handlers and operations match one to one", () => {
    const handlers: Record<string, unknown> = Object.fromEntries([...contract.operations.keys()].map((id) => [id, async () => ({})]));
    expect(() => checkHandlersMatchContract(handlers, contract)).not.toThrow();
    const { getMe: _missing, ...withoutOne } = handlers;
    expect(() => checkHandlersMatchContract(withoutOne, contract)).toThrow("operations without a handler: getMe");
    expect(() => checkHandlersMatchContract({ ...handlers, exportEverything: async () => ({}) }, contract)).toThrow("handlers not in openapi.yaml: exportEverything");
  });

  it("serves the contract itself as JSON and YAML, identical to openapi.yaml", async () => {
    const json = await fetch(`${server.url}/openapi.json`);
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json.json()).toEqual(contract.document);
    const yaml = await fetch(`${server.url}/openapi.yaml`);
    expect(yaml.headers.get("content-type")).toMatch(/^application\/yaml/);
    expect(YAML.parse(await yaml.text())).toEqual(contract.document);
  });

  it("shows Swagger UI at /docs over the same document, with bearer Authorize", async () => {
    const page = await fetch(`${server.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/swagger-ui/i);
    const docJson = (await (await fetch(`${server.url}/docs/json`)).json()) as { paths: unknown; components: { securitySchemes: Record<string, unknown> } };
    expect(docJson.paths).toEqual(contract.document.paths);
    expect(docJson.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });
});
