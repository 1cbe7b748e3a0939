// Stream tickets: how a browser, which cannot set headers on a WebSocket, authenticates one.
// A ticket is random, valid 30 seconds and works once on any instance: only its SHA-256 is
// stored, and opening the stream deletes the row (DELETE … RETURNING), which one caller wins.
import crypto from "node:crypto";
import type pg from "pg";
import type { Db } from "../../db/client.ts";
import type { UserPrincipal } from "../../core/principal.ts";

const PREFIX = "dst_";

export interface IssuedTicket {
  ticket: string;
  expiresAt: Date;
}

/** What a consumed ticket vouches for: the session, and when the socket must close at the latest. */
export interface TicketClaims {
  tenantId: string;
  userId: string;
  sessionId: string;
  accessExpiresAt: Date;
}

function hashTicket(ticket: string): string {
  return crypto.createHash("sha256").update(ticket).digest("hex");
}

export async function issueStreamTicket(db: Db, principal: UserPrincipal, options: { accessExpiresAt: Date; ttlSeconds: number }, now = new Date()): Promise<IssuedTicket> {
  const ticket = PREFIX + crypto.randomBytes(32).toString("base64url");
  const { accessExpiresAt } = options;
  const expiresAt = new Date(Math.min(now.getTime() + options.ttlSeconds * 1000, accessExpiresAt.getTime()));
  await db.streamTicket.create({
    data: { tenantId: principal.tenantId, userId: principal.userId, sessionId: principal.sessionId, tokenHash: hashTicket(ticket), expiresAt, accessExpiresAt },
  });
  return { ticket, expiresAt };
}

/** Spends the ticket: undefined when it does not exist, was spent already, or has expired. */
export async function consumeStreamTicket(pool: pg.Pool, ticket: string): Promise<TicketClaims | undefined> {
  if (!ticket.startsWith(PREFIX) || ticket.length > 128) return undefined;
  const { rows } = await pool.query<TicketClaims & { fresh: boolean }>({
    name: "consume-stream-ticket",
    text: `DELETE FROM "StreamTicket" WHERE "tokenHash" = $1
           RETURNING "tenantId", "userId", "sessionId", "accessExpiresAt", ("expiresAt" > now()) AS fresh`,
    values: [hashTicket(ticket)],
  });
  const row = rows[0];
  if (!row?.fresh) return undefined;
  return { tenantId: row.tenantId, userId: row.userId, sessionId: row.sessionId, accessExpiresAt: row.accessExpiresAt };
}

/** Tickets never used are deleted once expired (by the workers' housekeeping). */
export async function purgeExpiredStreamTickets(db: Db): Promise<number> {
  const { count } = await db.streamTicket.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  return count;
}
