// Replies by email: a raw MIME message posted by the provider's inbound hook, signed, lands as a
// comment by the right person on the right ticket, quoted history stripped, attachments kept;
// once per Message-ID. Forged addresses, wrong senders, bad signatures and bad MIME are refused.
// Also the development outbox: with no SMTP server, emails are .eml files under DATA_DIR.
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { helpdesk, signUp, type Helpdesk } from "./support/fixtures.ts";
import { openTicket, ticketPath } from "./support/tickets.ts";
import { PNG } from "./support/attachments.ts";
import { composeReply, postInbound, sendReply, signInbound } from "./support/inbound.ts";
import { readOutbox } from "./support/mail.ts";
import { createReplyAddresses } from "../src/mail/reply-address.ts";

let server: TestServer;
let desk: Helpdesk;

beforeAll(async () => {
  server = await startServer();
  desk = await helpdesk(server);
});
afterAll(async () => {
  await server?.close();
});

const QUOTED = "Thanks, that fixed it.\n\nOn Sun, Nov 22, 2026 at 10:00 AM Docket <no-reply@docket.test> wrote:\n> Please restart the router.\n> Ada\n";

function replyAddress(ticketId: string, userId: string): string {
  return server.services.replyAddresses.addressFor({ tenantId: desk.owner.tenant.id, ticketId, userId });
}

describe("a reply by email", () => {
  it("becomes the sender's public comment on the ticket, without the quoted history, with its attachment; once per Message-ID", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Router reboots" });
    const raw = await composeReply({
      from: `Customer <${desk.customer.user.email}>`,
      to: replyAddress(ticket.id, desk.customer.user.id),
      text: QUOTED,
      attachments: [{ filename: "screenshot.png", content: PNG, contentType: "image/png" }],
    });
    const first = await postInbound(server, raw);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({ ticketId: ticket.id, duplicate: false, attachmentIds: [expect.any(String)] });

    const comments = (await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data;
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ id: first.body.commentId, body: "Thanks, that fixed it.", authorId: desk.customer.user.id, internal: false });
    const attachments = (await desk.customer.client.GET("/v1/tickets/{ticketId}/attachments", ticketPath(ticket.id))).data!.data;
    expect(attachments).toMatchObject([{ filename: "screenshot.png", contentType: "image/png", size: PNG.length, commentId: first.body.commentId }]);

    // The provider delivers it again (a retry): the same comment, not a second one.
    const again = await postInbound(server, raw, signInbound(raw));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ commentId: first.body.commentId, duplicate: true });
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data).toHaveLength(1);
  });

  it("lets an agent reply to a ticket they may see", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Printer jams" });
    const answer = await sendReply(server, { from: desk.agent.user.email, to: replyAddress(ticket.id, desk.agent.user.id), text: "Try the other tray." });
    expect(answer.status).toBe(201);
    const comments = (await desk.customer.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data;
    expect(comments).toMatchObject([{ body: "Try the other tray.", authorId: desk.agent.user.id }]);
  });

  it("refuses a forged reply address, and a sender who is not the person it was sent to", async () => {
    const ticket = await openTicket(desk.customer.client);
    const genuine = replyAddress(ticket.id, desk.customer.user.id);
    // Signed with a key that is not the server's: a well-formed token naming a real ticket and user.
    const forgedKey = createReplyAddresses(crypto.randomBytes(32), "reply.docket.test").addressFor({ tenantId: desk.owner.tenant.id, ticketId: ticket.id, userId: desk.customer.user.id });
    const tampered = genuine.replace(/reply\+(.)/, (_, c: string) => `reply+${c === "a" ? "b" : "a"}`);
    for (const to of [forgedKey, tampered]) {
      const refused = await sendReply(server, { from: desk.customer.user.email, to, text: "Let me in" });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: "reply_address_invalid" });
    }
    const notOurs = await sendReply(server, { from: desk.customer.user.email, to: "support@example.test", text: "Hello" });
    expect(notOurs.status).toBe(422);
    const impostor = await sendReply(server, { from: desk.agent.user.email, to: genuine, text: "Speaking for the customer" });
    expect(impostor.status).toBe(422);
    expect(String(impostor.body.detail)).toContain("sender");
    expect((await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data).toEqual([]);
  });

  it("refuses a bad signature, missing signature headers and a body that is not an email", async () => {
    const ticket = await openTicket(desk.customer.client);
    const raw = await composeReply({ from: desk.customer.user.email, to: replyAddress(ticket.id, desk.customer.user.id), text: "Hello" });
    const wrongSecret = await postInbound(server, raw, signInbound(raw, `whsec_${crypto.randomBytes(32).toString("base64")}`));
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toMatchObject({ code: "invalid_signature" });
    const tamperedBody = Buffer.from(raw.toString().replace("Hello", "Goodbye"));
    expect((await postInbound(server, tamperedBody, signInbound(raw))).status).toBe(401);
    const unsigned = await postInbound(server, raw, { "content-type": "message/rfc822" });
    expect(unsigned.status).toBe(400);

    const junk = Buffer.from("this is not an email at all");
    const notMime = await postInbound(server, junk);
    expect(notMime.status).toBe(400);
    expect(notMime.body).toMatchObject({ code: "invalid_email" });
    const json = await fetch(`${server.url}/v1/inbound/email`, { method: "POST", headers: { ...signInbound(junk), "content-type": "application/json" }, body: "{}" });
    expect(json.status).toBe(415);
  });
});

describe("without INBOUND_EMAIL_SECRET", () => {
  it("is not an open door: the endpoint answers 404", async () => {
    const closed = await startServer({ mail: { ...server.config.mail, inbound: { ...server.config.mail.inbound, secret: undefined } } });
    try {
      const raw = await composeReply({ from: desk.customer.user.email, to: "reply+abc@reply.docket.test", text: "Hello" });
      const answer = await postInbound(closed, raw);
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ code: "inbound_email_disabled" });
    } finally {
      await closed.close();
    }
  });
});

describe("the development outbox", () => {
  it("holds each email as an .eml file under DATA_DIR, and the log says where", async () => {
    const tenant = await signUp(server);
    let welcome: Awaited<ReturnType<typeof readOutbox>>[number] | undefined;
    await expect
      .poll(async () => (welcome = (await readOutbox(server.config.mail.outboxDir)).find((mail) => mail.parsed.to && JSON.stringify(mail.parsed.to).includes(tenant.admin.email))), { timeout: 15_000 })
      .toBeDefined();
    expect(welcome!.file.startsWith(server.config.dataDir)).toBe(true);
    expect(welcome!.parsed.subject).toMatch(/Welcome/);
    expect(server.logs).toContainEqual(expect.objectContaining({ message: expect.stringContaining("outbox"), file: welcome!.file }));
  });
});
