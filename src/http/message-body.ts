// Bodies of email's own formats. Raw email (message/rfc822, POST /v1/inbound/email) is read whole
// into a Buffer, up to its own limit: a message with attachments is far larger than any JSON body,
// and its signature is over the exact bytes, so nothing may decode or re-encode them on the way.
// A form (application/x-www-form-urlencoded) is what mail clients POST to a one-click unsubscribe
// link (RFC 8058: `List-Unsubscribe=One-Click`); it is small.
import type { FastifyInstance } from "fastify";

export function registerMessageBodyParser(app: FastifyInstance, maxBytes: number): void {
  app.addContentTypeParser("message/rfc822", { parseAs: "buffer", bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 4096 }, (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
}
