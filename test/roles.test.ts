// Generated from the contract: every operation, called with every role's token, is allowed
// exactly when its x-roles lists the role. Without a token everything but public operations is a
// 401; platform operations take the operator token and nothing else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, loadContract, type OperationInfo, type Role } from "../src/core/contract.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp } from "./support/fixtures.ts";

const contract = loadContract();
const operations = [...contract.operations.values()];
let server: TestServer;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  server = await startServer();
  const owner = await signUp(server);
  tokens.admin = owner.client.tokens.accessToken!;
  tokens.agent = (await addMember(server, owner, "agent")).client.tokens.accessToken!;
  tokens.user = (await addMember(server, owner, "user")).client.tokens.accessToken!;
});
afterAll(async () => {
  await server.close();
});

/** Calls the operation with placeholder path ids and an empty body of its type (JSON, or multipart) where it takes one. */
async function call(operation: OperationInfo, token: string | undefined): Promise<Response> {
  const path = operation.path.replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000");
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (operation.requestBody) {
    const multipart = operation.requestBody.mediaTypes.includes("multipart/form-data");
    headers["content-type"] = multipart ? "multipart/form-data; boundary=docket" : "application/json";
    body = multipart ? "--docket--\r\n" : "{}";
  }
  return fetch(server.url + path, { method: operation.method, headers, body });
}

describe.each(operations.filter((operation) => operation.authentication === "user"))("$operationId ($method $path)", (operation) => {
  it.each(ROLES.map((role) => ({ role, allowed: operation.roles.includes(role) })))("$role: allowed=$allowed", async ({ role, allowed }) => {
    const response = await call(operation, tokens[role]);
    if (allowed) {
      // Allowed roles get past the role check: a result, a validation error or a 404.
      expect([200, 201, 204, 400, 404, 409]).toContain(response.status);
    } else {
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: "forbidden", status: 403 });
    }
  });

  it("without a token: 401", async () => {
    const response = await call(operation, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

describe.each(operations.filter((operation) => operation.authentication === "operator"))("$operationId (operator only)", (operation) => {
  it.each(ROLES)("a %s's token: 401", async (role) => {
    expect((await call(operation, tokens[role])).status).toBe(401);
  });
  it("the operator token: allowed", async () => {
    expect([200, 201, 204, 400, 404]).toContain((await call(operation, server.config.platformOperatorToken)).status);
  });
});

describe("public operations", () => {
  it.each(operations.filter((operation) => operation.authentication === "public"))("$operationId needs no token", async (operation) => {
    expect((await call(operation, undefined)).status).not.toBe(401);
  });
});
