// Arrange helpers: tenants and users made through the API itself.
import crypto from "node:crypto";
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";
import type { TestServer } from "./server.ts";

export const PASSWORD = "correct horse battery staple";

export function uniqueSlug(prefix = "t"): string {
  return `${prefix}-${crypto.randomBytes(5).toString("hex")}`;
}

export interface SignedUpTenant {
  client: DocketClient;
  tenant: Schemas["Tenant"];
  admin: Schemas["User"];
}

/** A new tenant through POST /v1/auth/signup; its client is logged in as the admin. */
export async function signUp(server: TestServer, slug = uniqueSlug()): Promise<SignedUpTenant> {
  const client = server.client();
  const { data, error, response } = await client.POST("/v1/auth/signup", {
    body: { tenantName: `Tenant ${slug}`, tenantSlug: slug, name: "Ada Admin", email: `ada@${slug}.test`, password: PASSWORD },
  });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  return { client, tenant: data!.tenant, admin: data!.user };
}

export interface Member {
  client: DocketClient;
  user: Schemas["User"];
}

/** A user of the given role, created by the tenant's admin, logged in with a client of its own. */
export async function addMember(server: TestServer, owner: SignedUpTenant, role: "admin" | "agent" | "user", name = `${role} ${crypto.randomBytes(3).toString("hex")}`): Promise<Member> {
  const email = `${name.replaceAll(" ", ".")}@${owner.tenant.slug}.test`.toLowerCase();
  const created = await owner.client.POST("/v1/users", { body: { email, name, role, password: PASSWORD } });
  expect(created.error, JSON.stringify(created.error)).toBeUndefined();
  const client = server.client();
  const login = await client.POST("/v1/auth/login", { body: { tenantSlug: owner.tenant.slug, email, password: PASSWORD } });
  expect(login.error, JSON.stringify(login.error)).toBeUndefined();
  return { client, user: created.data! };
}

export interface Helpdesk {
  /** The tenant and its admin. */
  owner: SignedUpTenant;
  agent: Member;
  /** A `user`: someone who files tickets. */
  customer: Member;
}

/** A tenant with an admin, an agent and a customer, each logged in. */
export async function helpdesk(server: TestServer): Promise<Helpdesk> {
  const owner = await signUp(server);
  return { owner, agent: await addMember(server, owner, "agent"), customer: await addMember(server, owner, "user") };
}
