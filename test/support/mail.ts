// Email in tests: a real SMTP server on loopback (smtp-server) that keeps what it receives, read
// with mailparser; and the outbox directory the server writes to when no SMTP server is configured.
import fs from "node:fs";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import { simpleParser, type ParsedMail } from "mailparser";
import { expect } from "vitest";

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  raw: Buffer;
  parsed: ParsedMail;
}

export interface SmtpReceiver {
  port: number;
  received: ReceivedMail[];
  /** Waits for a message to `to` whose subject matches, and returns it. */
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
  /** Every message to `to` so far. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

/** On `port` when given (a server configured before it listens), else on any free port. */
export async function startSmtpReceiver(port = 0): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()), raw, parsed });
            done();
          },
          (error: Error) => done(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const listening = (server.server.address() as { port: number }).port;
  const to = (address: string) => received.filter((mail) => mail.to.includes(address.toLowerCase()));
  return {
    port: listening,
    received,
    to,
    async waitFor(address, subject, timeoutMs = 15_000) {
      let found: ReceivedMail | undefined;
      await expect
        .poll(() => (found = to(address).find((mail) => subject === undefined || subject.test(mail.parsed.subject ?? ""))), { timeout: timeoutMs, interval: 50 })
        .toBeDefined();
      return found!;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The token in the first link of a message's text (…?token=…). */
export function tokenIn(mail: ParsedMail): string {
  const match = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text ?? "");
  expect(match, `no token link in: ${mail.text}`).not.toBeNull();
  return match![1]!;
}

/** The .eml files of an outbox, parsed, oldest first. */
export async function readOutbox(dir: string): Promise<Array<{ file: string; parsed: ParsedMail }>> {
  if (!fs.existsSync(dir)) return [];
  const files = fs.readdirSync(dir).filter((name) => name.endsWith(".eml")).sort();
  return Promise.all(files.map(async (name) => ({ file: path.join(dir, name), parsed: await simpleParser(fs.readFileSync(path.join(dir, name))) })));
}
