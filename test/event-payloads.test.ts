// The event payload rule (src/events/payload.ts): events keep no words that can be edited or
// deleted; each shown event carries its entity as it is now, if the reader may see it.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate, readMigrations } from "../src/db/migrate.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, type Member, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import type { DocketClient, Schemas } from "../sdk/index.ts";

let server: TestServer;
let acme: SignedUpTenant;
let agent: Member;
let customer: Member;

beforeAll(async () => {
  server = await startServer();
  ({ owner: acme, agent, customer } = await helpdesk(server));
});
afterAll(async () => {
  await server.close();
});

const one = (ticketId: string, commentId: string) => ({ params: { path: { ticketId, commentId } } });

async function activity(client: DocketClient, ticketId: string): Promise<Schemas["Event"][]> {
  const { data, error } = await client.GET("/v1/tickets/{ticketId}/activity", { params: { path: { ticketId }, query: { limit: 100 } } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!.data;
}

/** The admin's trail for one ticket, once every event of it is past the feed's horizon. */
async function trail(ticketId: string, count: number): Promise<Schemas["Event"][]> {
  let events: Schemas["Event"][] = [];
  // Background work (triage) adds its event on its own time: a generous poll.
  await expect
    .poll(
      async () => {
        events = (await acme.client.GET("/v1/events", { params: { query: { ticketId, limit: 100 } } })).data!.data;
        return events.length;
      },
      { timeout: 20_000 },
    )
    .toBe(count);
  return events;
}

describe("comment events", () => {
  it("serve a deleted comment's words nowhere, and an edited comment's current words only", async () => {
    const ticket = await openTicket(customer.client, { title: "Router reboots" });
    const gone = (await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "my password is hunter2" } })).data!;
    const edited = (await customer.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "first draft wording" } })).data!;
    await customer.client.PATCH("/v1/tickets/{ticketId}/comments/{commentId}", { ...one(ticket.id, edited.id), body: { body: "final wording" } });
    await customer.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", one(ticket.id, gone.id));

    // The trail's sixth event is the background triage's ticket.triaged (staff only).
    const views = [await activity(customer.client, ticket.id), await activity(agent.client, ticket.id), await trail(ticket.id, 6)];
    for (const events of views) {
      const json = JSON.stringify(events);
      expect(json).not.toContain("hunter2");
      expect(json).not.toContain("first draft");
      expect(json).toContain("final wording");
      expect(events.filter((event) => event.type.startsWith("comment.")).map((event) => event.type)).toEqual(["comment.created", "comment.created", "comment.updated", "comment.deleted"]);

      const deleted = events.find((event) => event.type === "comment.deleted")!;
      expect(deleted.before).toEqual({ commentId: gone.id, ticketId: ticket.id, parentId: null, authorId: customer.user.id, internal: false });
      expect(deleted.data).toMatchObject({ id: gone.id, deleted: true, body: "" });
      const update = events.find((event) => event.type === "comment.updated")!;
      expect(update).toMatchObject({ before: null, after: { commentId: edited.id, changed: ["body"] }, data: { id: edited.id, body: "final wording", editedAt: expect.any(String) } });
    }
  });

  it("show internal comments, as they are now, to staff only", async () => {
    const ticket = await openTicket(customer.client, { title: "Billing question" });
    const note = (await agent.client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticket.id), body: { body: "customer owes 300", internal: true } })).data!;

    expect(JSON.stringify(await activity(customer.client, ticket.id))).not.toContain(note.id);
    const created = (await activity(agent.client, ticket.id)).find((event) => event.type === "comment.created")!;
    expect(created).toMatchObject({ after: { commentId: note.id, internal: true }, data: { id: note.id, body: "customer owes 300", internal: true } });

    await agent.client.DELETE("/v1/tickets/{ticketId}/comments/{commentId}", one(ticket.id, note.id));
    expect(JSON.stringify(await activity(agent.client, ticket.id))).not.toContain("owes 300");
  });
});

describe("ticket events", () => {
  it("carry the ticket as it is now, and ticket.deleted records the deletion rather than a copy", async () => {
    const ticket = await openTicket(acme.client, { title: "Payroll export", description: "Salary file attached" });
    await acme.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { priority: "high" } });
    await acme.client.DELETE("/v1/tickets/{ticketId}", ticketPath(ticket.id));

    const events = await activity(acme.client, ticket.id);
    const deleted = events.find((event) => event.type === "ticket.deleted")!;
    expect(deleted.before).toEqual({ deletedAt: null });
    expect(deleted.after).toEqual({ deletedAt: expect.any(String) });
    expect(JSON.stringify(deleted)).not.toContain('"before":{"id"');
    expect(events.find((event) => event.type === "ticket.updated")).toMatchObject({ before: { priority: "normal" }, after: { priority: "high" } });
    for (const event of events) expect(event.data).toMatchObject({ id: ticket.id, priority: "high", deletedAt: expect.any(String) });
  });
});

describe("attachment events", () => {
  it("keep what describes the file and never a URL", async () => {
    const ticket = await openTicket(customer.client, { title: "Screenshot" });
    const form = new FormData();
    form.append("file", new Blob(["hello, world\n"], { type: "text/plain" }), "notes.txt");
    const uploaded = await fetch(`${server.url}/v1/tickets/${ticket.id}/attachments/files`, { method: "POST", headers: { authorization: `Bearer ${customer.client.tokens.accessToken}` }, body: form });
    expect(uploaded.status).toBe(201);
    const attachment = ((await uploaded.json()) as { data: Schemas["Attachment"][] }).data[0]!;

    const created = (await activity(customer.client, ticket.id)).find((event) => event.type === "attachment.created")!;
    expect(created.data).toMatchObject({ id: attachment.id, filename: "notes.txt", size: 13 });
    expect(JSON.stringify(created)).not.toMatch(/downloadUrl|https?:\/\//);

    await customer.client.DELETE("/v1/tickets/{ticketId}/attachments/{attachmentId}", { params: { path: { ticketId: ticket.id, attachmentId: attachment.id } } });
    const events = await activity(customer.client, ticket.id);
    expect(events.filter((event) => event.entity.type === "attachment").map((event) => event.data)).toEqual([null, null]);
    expect(events.find((event) => event.type === "attachment.deleted")!.before).toMatchObject({ id: attachment.id, filename: "notes.txt" });
  });
});

describe("the migration to content-free events", () => {
  it("strips comment words and ticket copies out of events written before the rule", async () => {
    const admin = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
    await admin.connect();
    const name = `${inject("templateDatabase")}_payloads_${crypto.randomBytes(4).toString("hex")}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(inject("adminDatabaseUrl"));
    url.pathname = `/${name}`;

    // The database as it was before the rule, with events in their old shape.
    const earlier = fs.mkdtempSync(path.join(os.tmpdir(), "docket-migrations-"));
    for (const migration of readMigrations().filter((m) => m.name < "20261122000323_event_payloads_without_content")) {
      fs.mkdirSync(path.join(earlier, migration.name));
      fs.writeFileSync(path.join(earlier, migration.name, "migration.sql"), migration.sql);
    }
    await migrate(url.toString(), undefined, earlier);
    fs.rmSync(earlier, { recursive: true });
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      const [tenant, user, ticket, comment] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      await db.query(`INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, 'old', 'Old', now())`, [tenant]);
      await db.query(`INSERT INTO "User" ("tenantId", id, email, name, "passwordHash", "updatedAt") VALUES ($1, $2, 'a@old.test', 'A', 'x', now())`, [tenant, user]);
      await db.query(`INSERT INTO "Ticket" ("tenantId", id, number, title, "requesterId", "updatedAt") VALUES ($1, $2, 1, 'Secret title', $3, now())`, [tenant, ticket, user]);
      await db.query(`INSERT INTO "Comment" ("tenantId", id, "ticketId", "authorId", body, "updatedAt", "deletedAt") VALUES ($1, $2, $3, $4, 'final', now(), now())`, [tenant, comment, ticket, user]);
      const event = (type: string, entityType: string, before: object | null, after: object | null) =>
        db.query(`INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", "ticketId", before, after) VALUES ($1, gen_random_uuid(), $2, 'user', $3, $4, $5, $6, $7, $8)`, [
          tenant, type, user, entityType, entityType === "comment" ? comment : ticket, ticket, before, after,
        ]);
      await event("comment.created", "comment", null, { id: comment, ticketId: ticket, parentId: null, authorId: user, body: "draft words", internal: false });
      await event("comment.updated", "comment", { body: "draft words" }, { body: "final" });
      await event("comment.deleted", "comment", { id: comment, body: "final", internal: false }, null);
      await event("ticket.deleted", "ticket", { id: ticket, title: "Secret title" }, { deletedAt: new Date().toISOString() });

      await migrate(url.toString());
      const { rows } = await db.query<{ type: string; before: unknown; after: unknown }>(`SELECT type, before, after FROM "Event" ORDER BY seq`);
      expect(JSON.stringify(rows)).not.toMatch(/draft words|final"|Secret title/);
      const facts = { commentId: comment, ticketId: ticket, parentId: null, authorId: user, internal: false };
      expect(rows).toEqual([
        { type: "comment.created", before: null, after: facts },
        { type: "comment.updated", before: null, after: { ...facts, changed: ["body"] } },
        { type: "comment.deleted", before: facts, after: null },
        { type: "ticket.deleted", before: { deletedAt: null }, after: { deletedAt: expect.any(String) } },
      ]);
    } finally {
      await db.end();
    }
  });
});
