// A tenant never sees another tenant's data: foreign ids answer 404 exactly like missing ones,
// and a `user` sees only themselves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type Member, type SignedUpTenant } from "./support/fixtures.ts";

let server: TestServer;
let acme: SignedUpTenant;
let globex: SignedUpTenant;
let acmeAgent: Member;

beforeAll(async () => {
  server = await startServer();
  acme = await signUp(server);
  globex = await signUp(server);
  acmeAgent = await addMember(server, acme, "agent");
});
afterAll(async () => {
  await server.close();
});

const missingId = "0192f1a0-0000-7000-8000-000000000000";

describe("cross-tenant access to users", () => {
  it("answers 404 for another tenant's user ids, exactly as for ids that do not exist", async () => {
    for (const userId of [acme.admin.id, acmeAgent.user.id]) {
      const params = { path: { userId } };
      const get = await globex.client.GET("/v1/users/{userId}", { params });
      const patch = await globex.client.PATCH("/v1/users/{userId}", { params, body: { name: "Hijacked" } });
      const remove = await globex.client.DELETE("/v1/users/{userId}", { params });
      for (const { response, error } of [get, patch, remove]) {
        expect(response.status).toBe(404);
        expect(error).toMatchObject({ code: "not_found", detail: `No user ${userId}.` });
      }
    }
    const missing = await globex.client.GET("/v1/users/{userId}", { params: { path: { userId: missingId } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.detail).toBe(`No user ${missingId}.`);

    // And nothing changed on Acme's side.
    const agent = await acme.client.GET("/v1/users/{userId}", { params: { path: { userId: acmeAgent.user.id } } });
    expect(agent.data).toMatchObject({ name: acmeAgent.user.name, active: true });
  });

  it("lists only the caller's tenant", async () => {
    const acmeList = await acme.client.GET("/v1/users", { params: { query: {} } });
    const globexList = await globex.client.GET("/v1/users", { params: { query: {} } });
    expect(acmeList.data!.data.map((user) => user.id).sort()).toEqual([acme.admin.id, acmeAgent.user.id].sort());
    expect(globexList.data!.data.map((user) => user.id)).toEqual([globex.admin.id]);
  });

  it("keeps emails unique per tenant, not globally", async () => {
    const { response } = await globex.client.POST("/v1/users", { body: { email: acmeAgent.user.email, name: "Same Email", password: "a long enough password" } });
    expect(response.status).toBe(201);
  });

  it("gives each tenant its own tenant document", async () => {
    expect((await acme.client.GET("/v1/tenant")).data?.id).toBe(acme.tenant.id);
    expect((await globex.client.GET("/v1/tenant")).data?.id).toBe(globex.tenant.id);
  });
});

describe("a user sees only themselves", () => {
  it("reads their own record, and gets 404 for everyone else's", async () => {
    const customer = await addMember(server, acme, "user");
    const self = await customer.client.GET("/v1/users/{userId}", { params: { path: { userId: customer.user.id } } });
    expect(self.data?.id).toBe(customer.user.id);
    const other = await customer.client.GET("/v1/users/{userId}", { params: { path: { userId: acme.admin.id } } });
    expect(other.response.status).toBe(404);
    const otherPatch = await customer.client.PATCH("/v1/users/{userId}", { params: { path: { userId: acme.admin.id } }, body: { name: "x" } });
    expect(otherPatch.response.status).toBe(404);
  });
});
