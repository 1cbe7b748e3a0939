// Summaries of a ticket's discussion, one per audience: staff (internal notes included) and the
// requester (never built from internal notes). The model is asked outside any transaction; the
// summary and its `ticket.summarized` event are then written together.
import type { Database } from "../../db/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import { problems } from "../../core/problem.ts";
import { appendEvent, contextOf } from "../../events/event-log.ts";
import type { AiProvider } from "../../ai/provider.ts";
import { askModel } from "../../ai/ask.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { canSee } from "../tickets/policy.ts";
import { discussionOf, latestEventOf, type Audience } from "./discussion.ts";
import { toSummary, type TicketSummary } from "./representation.ts";

const audienceOf = (principal: TenantPrincipal): Audience => (principal.role === "user" ? "requester" : "staff");

export function createSummaryService({ db, provider }: { db: Database; provider: AiProvider }) {
  async function visibleTicket(principal: TenantPrincipal, ticketId: string) {
    const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: ticketId } } });
    if (!ticket || !canSee(principal, ticket)) throw problems.notFound("ticket", ticketId);
    return ticket;
  }

  return {
    async get(principal: TenantPrincipal, ticketId: string): Promise<TicketSummary> {
      const ticket = await visibleTicket(principal, ticketId);
      const audience = audienceOf(principal);
      const row = await db.ticketSummary.findUnique({ where: { tenantId_ticketId_audience: { tenantId: principal.tenantId, ticketId, audience } } });
      if (!row) throw problems.notFound("summary for ticket", ticketId);
      const latest = await latestEventOf(db, ticket, audience);
      const stale = latest !== null && (row.coveredEventSeq === null || latest.seq > row.coveredEventSeq);
      return toSummary(row, stale);
    },

    async generate(principal: TenantPrincipal, ticketId: string, requestId?: string): Promise<TicketSummary> {
      const ticket = await visibleTicket(principal, ticketId);
      const audience = audienceOf(principal);
      // What the summary covers is fixed before the discussion is read: an event landing meanwhile makes it stale, never falsely fresh.
      const covered = await latestEventOf(db, ticket, audience);
      const messages = await discussionOf(db, ticket, audience);
      const result = await askModel(() => provider.summarize({ title: ticket.title, status: ticket.status, messages }));
      const fields = {
        summary: result.summary,
        problem: result.problem,
        actions: result.actions,
        status: result.status,
        nextStep: result.nextStep,
        entities: result.entities as unknown as Prisma.InputJsonValue,
        coveredEventId: covered?.id ?? null,
        coveredEventSeq: covered?.seq ?? null,
        provider: result.provider,
        model: result.model,
        generatedById: principal.userId,
        createdAt: new Date(),
      };
      const row = await db.$transaction(async (tx) => {
        const saved = await tx.ticketSummary.upsert({
          where: { tenantId_ticketId_audience: { tenantId: principal.tenantId, ticketId, audience } },
          create: { tenantId: principal.tenantId, ticketId, audience, ...fields },
          update: fields,
        });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "ticket.summarized",
          entity: { type: "ticket", id: ticketId },
          ticketId,
          internal: true,
          after: { audience, coveredEventId: fields.coveredEventId, provider: result.provider, model: result.model },
        });
        return saved;
      });
      return toSummary(row, false);
    },
  };
}

export type SummaryService = ReturnType<typeof createSummaryService>;
