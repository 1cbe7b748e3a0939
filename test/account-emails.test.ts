// Account emails through a real SMTP server on loopback: welcome on signup, invitations and
// forgotten passwords end to end (the token comes from the email received), single use, expiry,
// and no account enumeration.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trailTypes } from "./support/events.ts";
import { startServer, testConfig, type TestServer } from "./support/server.ts";
import { addMember, PASSWORD, signUp, uniqueSlug } from "./support/fixtures.ts";
import { startSmtpReceiver, tokenIn, type SmtpReceiver } from "./support/mail.ts";
import { freePort } from "./support/ports.ts";

let server: TestServer;
let smtp: SmtpReceiver;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  const base = testConfig();
  server = await startServer({ mail: { ...base.mail, smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: undefined, password: undefined } } });
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

describe("welcome", () => {
  it("greets the admin of a new tenant by email", async () => {
    const tenant = await signUp(server);
    const mail = await smtp.waitFor(tenant.admin.email, /Welcome/);
    expect(mail.parsed.from?.text).toContain("no-reply@docket.test");
    expect(mail.parsed.text).toContain(tenant.tenant.slug);
  });
});

describe("invitations", () => {
  it("lets the invitee set their name and password through the emailed link, once", async () => {
    const tenant = await signUp(server);
    const email = `grace.${uniqueSlug()}@example.test`;
    const invited = await tenant.client.POST("/v1/users/invitations", { body: { email, role: "agent" } });
    expect(invited.response.status).toBe(201);
    expect(invited.data).toMatchObject({ email, role: "agent", invitedById: tenant.admin.id });

    const mail = await smtp.waitFor(email, /invited you/);
    expect(mail.parsed.text).toContain("https://app.docket.test/accept-invitation?token=");
    const token = tokenIn(mail.parsed);
    const client = server.client();
    const accepted = await client.POST("/v1/auth/invitations/accept", { body: { token, name: "Grace Hopper", password: PASSWORD } });
    expect(accepted.response.status).toBe(201);
    expect(accepted.data!.user).toMatchObject({ email, name: "Grace Hopper", role: "agent" });
    const me = await server.client({ accessToken: accepted.data!.accessToken }).GET("/v1/auth/me");
    expect(me.data!.tenant.id).toBe(tenant.tenant.id);

    const again = await client.POST("/v1/auth/invitations/accept", { body: { token, name: "Mallory", password: PASSWORD } });
    expect(again.response.status).toBe(401);
    expect(again.error).toMatchObject({ code: "invalid_token" });
    expect(await trailTypes(server, tenant.client, { type: ["user.invited"] })).toEqual(["user.invited"]);
  });

  it("refuses an expired link, an unknown one, a non-admin and a member's address", async () => {
    const tenant = await signUp(server);
    const email = `late.${uniqueSlug()}@example.test`;
    await tenant.client.POST("/v1/users/invitations", { body: { email } });
    const token = tokenIn((await smtp.waitFor(email, /invited you/)).parsed);
    await server.asOwner(`UPDATE "Invitation" SET "expiresAt" = now() - interval '1 second' WHERE email = '${email}'`);
    const expired = await server.client().POST("/v1/auth/invitations/accept", { body: { token, name: "Late", password: PASSWORD } });
    expect(expired.response.status).toBe(401);
    const unknown = await server.client().POST("/v1/auth/invitations/accept", { body: { token: "inv_nothing", name: "Nobody", password: PASSWORD } });
    expect(unknown.response.status).toBe(401);

    const agent = await addMember(server, tenant, "agent");
    expect((await agent.client.POST("/v1/users/invitations", { body: { email: `x.${uniqueSlug()}@example.test` } })).response.status).toBe(403);
    const taken = await tenant.client.POST("/v1/users/invitations", { body: { email: agent.user.email } });
    expect(taken.response.status).toBe(409);
    expect(taken.error).toMatchObject({ code: "email_taken" });
  });
});

describe("forgotten password", () => {
  it("resets through the emailed link once, ends every session, and sends a security notice", async () => {
    const tenant = await signUp(server);
    const member = await addMember(server, tenant, "user");
    const session = await server.client().POST("/v1/auth/login", { body: { tenantSlug: tenant.tenant.slug, email: member.user.email, password: PASSWORD } });

    const asked = await server.client().POST("/v1/auth/password-reset", { body: { tenantSlug: tenant.tenant.slug, email: member.user.email.toUpperCase() } });
    expect(asked.response.status).toBe(202);
    const mail = await smtp.waitFor(member.user.email, /Reset your Docket password/);
    const token = tokenIn(mail.parsed);
    expect(token.startsWith("rst_")).toBe(true);

    const newPassword = "a brand new passphrase";
    const confirmed = await server.client().POST("/v1/auth/password-reset/confirm", { body: { token, password: newPassword } });
    expect(confirmed.response.status).toBe(204);
    // Sessions and refresh tokens from before are gone; the new password logs in, the old one not.
    expect((await server.client().POST("/v1/auth/refresh", { body: { refreshToken: session.data!.refreshToken } })).response.status).toBe(401);
    expect((await server.client({ accessToken: session.data!.accessToken }).GET("/v1/auth/me")).response.status).toBe(401);
    expect((await server.client().POST("/v1/auth/login", { body: { tenantSlug: tenant.tenant.slug, email: member.user.email, password: newPassword } })).response.status).toBe(200);
    expect((await server.client().POST("/v1/auth/login", { body: { tenantSlug: tenant.tenant.slug, email: member.user.email, password: PASSWORD } })).response.status).toBe(401);

    const reused = await server.client().POST("/v1/auth/password-reset/confirm", { body: { token, password: "yet another passphrase" } });
    expect(reused.response.status).toBe(401);
    expect(reused.error).toMatchObject({ code: "invalid_token" });
    await smtp.waitFor(member.user.email, /password was changed/);
  });

  it("refuses an expired link", async () => {
    const tenant = await signUp(server);
    await server.client().POST("/v1/auth/password-reset", { body: { tenantSlug: tenant.tenant.slug, email: tenant.admin.email } });
    const token = tokenIn((await smtp.waitFor(tenant.admin.email, /Reset your Docket password/)).parsed);
    await server.asOwner(`UPDATE "PasswordReset" SET "expiresAt" = now() - interval '1 second' WHERE "tenantId" = '${tenant.tenant.id}'`);
    const expired = await server.client().POST("/v1/auth/password-reset/confirm", { body: { token, password: "too late passphrase" } });
    expect(expired.response.status).toBe(401);
  });

  it("answers the same whether or not the account exists, and mails only a real one", async () => {
    const tenant = await signUp(server);
    const ask = (tenantSlug: string, email: string) => server.client().POST("/v1/auth/password-reset", { body: { tenantSlug, email } });
    const real = await ask(tenant.tenant.slug, tenant.admin.email);
    const ghost = `ghost.${uniqueSlug()}@example.test`;
    const unknownEmail = await ask(tenant.tenant.slug, ghost);
    const unknownTenant = await ask(uniqueSlug(), tenant.admin.email);
    for (const answer of [unknownEmail, unknownTenant]) {
      expect(answer.response.status).toBe(real.response.status);
      expect(answer.data).toEqual(real.data);
    }
    await smtp.waitFor(tenant.admin.email, /Reset your Docket password/);
    // The ghost's job ran too (it was added before the real one's email arrived… or soon after).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(smtp.to(ghost)).toEqual([]);
  });
});

describe("an SMTP server that is down", () => {
  it("delays the email, never loses it: the job retries with backoff until the server takes it", async () => {
    const port = await freePort();
    const base = testConfig();
    const cut = await startServer({ mail: { ...base.mail, smtp: { host: "127.0.0.1", port, secure: false, user: undefined, password: undefined } } });
    let late: SmtpReceiver | undefined;
    try {
      const tenant = await signUp(cut);
      // The first attempt fails (nothing listens); the job is retried, not dropped.
      await expect
        .poll(async () => (await cut.asOwner(`SELECT attempts, last_error FROM graphile_worker.jobs WHERE task_identifier = 'email.welcome'`)).rows[0]?.attempts ?? 0, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(1);
      late = await startSmtpReceiver(port);
      const mail = await late.waitFor(tenant.admin.email, /Welcome/, 30_000);
      expect(mail.parsed.text).toContain(tenant.tenant.slug);
    } finally {
      await cut.close();
      await late?.close();
    }
  });
});
