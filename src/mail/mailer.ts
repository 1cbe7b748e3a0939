// Sends email: over SMTP (nodemailer) when the configuration names a server, otherwise into the
// development outbox, a directory of .eml files under DATA_DIR that any mail client opens. Both
// build the message with nodemailer, so what lands in the outbox is byte for byte what SMTP would
// have carried.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Transporter } from "nodemailer";
import type { MailSettings } from "../config.ts";
import type { Logger } from "../logger.ts";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  replyTo?: string;
  /** Extra header fields (List-Unsubscribe…). */
  headers?: Record<string, string>;
  /** Threads the messages about one ticket together in mail clients. */
  references?: string;
}

export interface SentMail {
  messageId: string;
  /** The .eml file, for the outbox. */
  file?: string;
}

export interface Mailer {
  /** Resolves once the SMTP server accepted the message (or the file is written); throws otherwise, so the job retries. */
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

export function createMailer(settings: Pick<MailSettings, "smtp" | "outboxDir" | "from">, logger: Logger): Mailer {
  const smtp = settings.smtp;
  // nodemailer costs a process several MiB and only the workers send (the API enqueues jobs): it
  // is loaded by the first message, not by every process that builds the services.
  let loading: Promise<Transporter> | undefined;
  const transport = () =>
    (loading ??= import("nodemailer").then(({ default: nodemailer }): Transporter =>
      smtp
        ? nodemailer.createTransport("url" in smtp ? smtp.url : { host: smtp.host, port: smtp.port, secure: smtp.secure, auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined })
        : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" }),
    ));
  const envelope = (message: MailMessage) => ({
    from: settings.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    replyTo: message.replyTo,
    headers: message.headers,
    references: message.references,
  });
  return {
    async send(message) {
      const info = await (await transport()).sendMail(envelope(message));
      if (smtp) return { messageId: info.messageId };
      await fs.mkdir(settings.outboxDir, { recursive: true });
      const file = path.join(settings.outboxDir, `${new Date().toISOString().replaceAll(":", "-")}-${crypto.randomBytes(4).toString("hex")}.eml`);
      await fs.writeFile(file, (info as unknown as { message: Buffer }).message);
      logger.info({ to: message.to, subject: message.subject, file }, "email written to the outbox (no SMTP server configured)");
      return { messageId: info.messageId, file };
    },
    close() {
      // Nothing to close unless a message loaded it (a failed load was reported to that sender).
      loading?.then((loaded) => loaded.close(), () => {});
    },
  };
}
