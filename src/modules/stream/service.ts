// The live stream's service: stream tickets, authenticating a socket, and this instance's hub
// with the feed reader that feeds it.
import type pg from "pg";
import type { Database } from "../../db/client.ts";
import type { Logger } from "../../logger.ts";
import type { StreamCredentials, UserPrincipal } from "../../core/principal.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import { presentEvents } from "../events/presenter.ts";
import type { AuthService } from "../auth/service.ts";
import { createFeedReader } from "./feed-reader.ts";
import { createHub, type StreamSettings } from "./hub.ts";
import type { StreamSignals } from "./signals.ts";
import { consumeStreamTicket, issueStreamTicket } from "./tickets.ts";

export interface StreamServiceDeps {
  /** The tenants' queries, under row-level security (run in a tenant's scope). */
  db: Database;
  /** Across tenants: the event log as the feed reads it, stream tickets before their tenant is known, sessions rechecked. */
  system: { prisma: Database; pool: pg.Pool };
  databaseUrl: string;
  logger: Logger;
  auth: Pick<AuthService, "authenticate" | "sessionPrincipal">;
  settings: StreamSettings;
  /** The backstop poll of the event log; notifications wake the reader at once. */
  pollMs: number;
  /** Access tokens' lifetime, for a principal whose token expiry is unknown. */
  accessTokenTtlSeconds: number;
  signals: StreamSignals;
  ticketTtlSeconds: number;
}

export function createStreamService(deps: StreamServiceDeps) {
  const { db, system, auth } = deps;
  const reader = createFeedReader({ db: system.prisma, pool: system.pool, databaseUrl: deps.databaseUrl, logger: deps.logger, pollMs: deps.pollMs, onBatch: (events) => hub.onBatch(events) });
  const hub = createHub({ db, system: system.prisma, logger: deps.logger, settings: deps.settings, reader, present: presentEvents, signals: deps.signals });
  const accessExpiry = (principal: UserPrincipal) => new Date(principal.accessExpiresAt ?? Date.now() + deps.accessTokenTtlSeconds * 1000);

  return {
    hub,
    settings: deps.settings,

    async createTicket(principal: UserPrincipal): Promise<Schemas["StreamTicket"]> {
      const { ticket, expiresAt } = await issueStreamTicket(db, principal, { accessExpiresAt: accessExpiry(principal), ttlSeconds: deps.ticketTtlSeconds });
      return { ticket, expiresAt: expiresAt.toISOString(), url: `/v1/stream?ticket=${encodeURIComponent(ticket)}` };
    },

    /** The socket's principal, with when its access ends; a 401 problem otherwise. */
    async authenticate(credentials: StreamCredentials): Promise<UserPrincipal> {
      if ("accessToken" in credentials) return auth.authenticate(credentials.accessToken);
      const claims = await consumeStreamTicket(system.pool, credentials.ticket);
      if (!claims) throw problems.unauthorized("This stream ticket is not valid, was used already or has expired; ask POST /v1/stream/tickets for a new one.");
      if (claims.accessExpiresAt.getTime() <= Date.now()) throw problems.unauthorized("The access token this ticket was issued for has expired; refresh it and ask for a new ticket.");
      const principal = await auth.sessionPrincipal(claims);
      return { ...principal, accessExpiresAt: claims.accessExpiresAt.getTime() };
    },

    async close(): Promise<void> {
      await hub.close();
    },
  };
}

export type StreamService = ReturnType<typeof createStreamService>;
