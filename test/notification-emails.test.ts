// Notification emails through a real SMTP server on loopback: quick comments on a ticket are one
// digest; each carries a one-click unsubscribe (RFC 8058) that works by POST without logging in,
// and a Reply-To through which a reply lands as a comment; an opted-out person gets no email.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, testConfig, type TestServer } from "./support/server.ts";
import { addMember, helpdesk, PASSWORD, type Helpdesk } from "./support/fixtures.ts";
import { comment, openTicket, ticketPath } from "./support/tickets.ts";
import { settled } from "./support/notifications.ts";
import { eventually } from "./support/webhook-receiver.ts";
import { startSmtpReceiver, type ReceivedMail, type SmtpReceiver } from "./support/mail.ts";
import { sendReply } from "./support/inbound.ts";

let server: TestServer;
let smtp: SmtpReceiver;
let desk: Helpdesk;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  const base = testConfig();
  server = await startServer({ mail: { ...base.mail, digestWindowSeconds: 2, smtp: { host: "127.0.0.1", port: smtp.port, secure: false, user: undefined, password: undefined } } });
  desk = await helpdesk(server);
});
afterAll(async () => {
  await server?.close();
  await smtp?.close();
});

/** Once the consumer made every notification and every email job (digests included) has run. */
async function quiet(): Promise<void> {
  await settled(server);
  await eventually(async () => {
    const { rows } = await server.asOwner(`SELECT count(*)::int AS n FROM graphile_worker.jobs WHERE task_identifier = 'email.notification_digest'`);
    expect(rows[0].n).toBe(0);
  }, 20_000);
}

function header(mail: ReceivedMail, name: string): string | undefined {
  const head = mail.raw.toString("utf8").split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, " ");
  return new RegExp(`^${name}: (.*)$`, "im").exec(head)?.[1]?.trim();
}

function digestsAbout(ticketNumber: number, to: string): ReceivedMail[] {
  return smtp.to(to).filter((mail) => (mail.parsed.subject ?? "").includes(`#${ticketNumber} `));
}

describe("notification emails", () => {
  it("batch quick comments on a ticket into one email, with a one-click unsubscribe and a reply address", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Router reboots every night" });
    for (const body of ["Looking into it.", "Which firmware version do you run?", "Please send a photo of the label."]) await comment(desk.agent.client, ticket.id, body);
    const mail = await smtp.waitFor(desk.customer.user.email, new RegExp(`#${ticket.number} `));
    await quiet();
    expect(digestsAbout(ticket.number, desk.customer.user.email)).toHaveLength(1);
    for (const body of ["Looking into it.", "Which firmware version", "photo of the label"]) expect(mail.parsed.text).toContain(body);

    expect(header(mail, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(header(mail, "List-Unsubscribe")).toMatch(/^<https?:\/\/[^>]+\/v1\/notifications\/unsubscribe\?token=[^>]+>$/);
    const replyTo = mail.parsed.replyTo?.value[0]?.address;
    expect(replyTo).toMatch(/^reply\+[a-z2-7]+@reply\.docket\.test$/);
  });

  it("takes a reply to the email as the person's comment on the ticket", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Printer offline" });
    await comment(desk.agent.client, ticket.id, "Is it plugged in?");
    const mail = await smtp.waitFor(desk.customer.user.email, new RegExp(`#${ticket.number} `));
    const quotedDigest = (mail.parsed.text ?? "").split("\n").map((line) => `> ${line}`).join("\n");
    const answer = await sendReply(server, {
      from: desk.customer.user.email,
      to: mail.parsed.replyTo!.value[0]!.address!,
      subject: `Re: ${mail.parsed.subject}`,
      text: `Yes, and the light is green.\n\nOn Sun, 22 Nov 2026, Docket <no-reply@docket.test> wrote:\n${quotedDigest}\n`,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const comments = (await desk.agent.client.GET("/v1/tickets/{ticketId}/comments", ticketPath(ticket.id))).data!.data;
    expect(comments.map((item) => item.body)).toEqual(["Is it plugged in?", "Yes, and the light is green."]);
    expect(comments[1]!.authorId).toBe(desk.customer.user.id);
  });

  it("unsubscribes by POST without logging in, and then sends that person no more of that kind", async () => {
    const ticket = await openTicket(desk.customer.client, { title: "Keyboard sticks" });
    await comment(desk.agent.client, ticket.id, "Try the cleaning kit.");
    const mail = await smtp.waitFor(desk.customer.user.email, new RegExp(`#${ticket.number} `));
    const link = new URL(header(mail, "List-Unsubscribe")!.slice(1, -1));

    // What a mail client does for a one-click unsubscribe: POST the form to the link, no credentials.
    const unsubscribe = (search: string) =>
      fetch(`${server.url}${link.pathname}${search}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    const forged = await unsubscribe(link.search.replace(/token=./, (match) => (match.endsWith("a") ? "token=b" : "token=a")));
    expect(forged.status).toBe(401);
    const done = await unsubscribe(link.search);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ channel: "email", kinds: ["requester"] });
    const preferences = (await desk.customer.client.GET("/v1/notifications/preferences")).data!;
    expect(JSON.stringify(preferences)).toContain('"kind":"requester","channel":"email","enabled":false');

    await quiet();
    const before = smtp.to(desk.customer.user.email).length;
    await comment(desk.agent.client, ticket.id, "Did it help?");
    await comment(desk.agent.client, ticket.id, "Closing soon otherwise.");
    await quiet();
    // Told in the app, not by email.
    const inbox = (await desk.customer.client.GET("/v1/notifications", { params: { query: { limit: 100 } } })).data!.data;
    expect(inbox.filter((item) => item.ticketId === ticket.id).length).toBeGreaterThanOrEqual(3);
    expect(smtp.to(desk.customer.user.email).length).toBe(before);
  });

  it("sends nothing to someone who opted out of email beforehand, and still emails those who did not", async () => {
    const opted = await desk.agent.client.PUT("/v1/notifications/preferences", { body: { preferences: [{ kind: "assigned", channel: "email", enabled: false }] } });
    expect(opted.error, JSON.stringify(opted.error)).toBeUndefined();
    // A requester who changed nothing (the one above unsubscribed).
    const requester = await addMember(server, desk.owner, "user");
    const ticket = await openTicket(requester.client, { title: "Monitor flickers" });
    await desk.owner.client.PATCH("/v1/tickets/{ticketId}", { ...ticketPath(ticket.id), body: { assigneeId: desk.agent.user.id } });
    await comment(desk.owner.client, ticket.id, "Assigned to our hardware person.");
    await smtp.waitFor(requester.user.email, new RegExp(`#${ticket.number} `));
    await quiet();
    expect(digestsAbout(ticket.number, desk.agent.user.email)).toEqual([]);
  });

  it("sends a security notice at once, without an unsubscribe link", async () => {
    const member = await addMember(server, desk.owner, "agent");
    const changed = await member.client.PATCH("/v1/users/{userId}", { params: { path: { userId: member.user.id } }, body: { password: "another long passphrase", currentPassword: PASSWORD } });
    expect(changed.error, JSON.stringify(changed.error)).toBeUndefined();
    const notice = await smtp.waitFor(member.user.email, /password was changed/i);
    expect(header(notice, "List-Unsubscribe")).toBeUndefined();
    expect(notice.parsed.replyTo).toBeUndefined();
  });
});
