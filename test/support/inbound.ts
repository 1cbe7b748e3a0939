// Replies by email as an email provider's inbound hook delivers them: a raw MIME message (built
// with nodemailer's MailComposer), signed the Standard Webhooks way with the server's
// INBOUND_EMAIL_SECRET, posted to /v1/inbound/email.
import crypto from "node:crypto";
import MailComposer from "nodemailer/lib/mail-composer";
import { Webhook } from "standardwebhooks";
import { INBOUND_EMAIL_SECRET, type TestServer } from "./server.ts";

export interface Reply {
  from: string;
  to: string;
  text: string;
  subject?: string;
  messageId?: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType?: string }>;
}

export function composeReply(reply: Reply): Promise<Buffer> {
  return new MailComposer({
    from: reply.from,
    to: reply.to,
    subject: reply.subject ?? "Re: your ticket",
    text: reply.text,
    messageId: reply.messageId ?? `<${crypto.randomUUID()}@mail.example.test>`,
    attachments: reply.attachments,
  })
    .compile()
    .build();
}

/** Signed headers for a raw body; `secret` defaults to the test servers' own. */
export function signInbound(raw: Buffer, secret = INBOUND_EMAIL_SECRET): Record<string, string> {
  const id = `msg_${crypto.randomBytes(8).toString("hex")}`;
  const timestamp = new Date();
  return {
    "content-type": "message/rfc822",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(id, timestamp, raw),
  };
}

export async function postInbound(server: TestServer, raw: Buffer, headers: Record<string, string> = signInbound(raw)): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/v1/inbound/email`, { method: "POST", headers, body: raw });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function sendReply(server: TestServer, reply: Reply) {
  return postInbound(server, await composeReply(reply));
}
