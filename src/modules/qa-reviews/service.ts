// QA reviews: scored by the model on request (outside any transaction), stored `pending` with
// their event, then approved or rejected by a reviewer.
import type { Database } from "../../db/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { Schemas, QueryOf } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { problems } from "../../core/problem.ts";
import { appendEvent, contextOf } from "../../events/event-log.ts";
import type { AiProvider } from "../../ai/provider.ts";
import { askModel } from "../../ai/ask.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { checkCanDecide, checkCanUseQa } from "./policy.ts";
import { subjectOf } from "./subject.ts";
import { qaReviewFacts, toQaReview, type QaReview } from "./representation.ts";

export function createQaReviewService({ db, provider }: { db: Database; provider: AiProvider }) {
  async function find(principal: TenantPrincipal, reviewId: string) {
    const row = await db.qaReview.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: reviewId } } });
    if (!row) throw problems.notFound("QA review", reviewId);
    return row;
  }

  return {
    async create(principal: TenantPrincipal, input: Schemas["QaReviewCreate"], requestId?: string): Promise<QaReview> {
      checkCanUseQa(principal);
      const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: input.ticketId } } });
      if (!ticket || ticket.deletedAt) throw problems.notFound("ticket", input.ticketId);
      const subject = await subjectOf(db, ticket, input.commentId);
      const result = await askModel(() => provider.review({ customerMessages: subject.customerMessages, replies: subject.replies }));
      const score = Math.round(result.categories.reduce((sum, category) => sum + category.score, 0) / result.categories.length);
      const row = await db.$transaction(async (tx) => {
        const created = await tx.qaReview.create({
          data: {
            tenantId: principal.tenantId,
            ticketId: ticket.id,
            commentId: subject.commentId,
            agentId: subject.agentId,
            requestedById: principal.userId,
            score,
            categories: result.categories as unknown as Prisma.InputJsonValue,
            provider: result.provider,
            model: result.model,
          },
        });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "qa_review.created",
          entity: { type: "qa_review", id: created.id },
          ticketId: ticket.id,
          internal: true,
          after: qaReviewFacts(created),
        });
        return created;
      });
      return toQaReview(row);
    },

    async list(principal: TenantPrincipal, query: QueryOf<"listQaReviews">): Promise<Schemas["QaReviewList"]> {
      checkCanUseQa(principal);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const rows = await db.qaReview.findMany({
        where: {
          tenantId: principal.tenantId,
          ...(query.agentId ? { agentId: query.agentId } : {}),
          ...(query.ticketId ? { ticketId: query.ticketId } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.minScore !== undefined || query.maxScore !== undefined ? { score: { gte: query.minScore, lte: query.maxScore } } : {}),
          ...keyset.where,
        },
        orderBy: keyset.orderBy,
        take: limit + 1,
      });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toQaReview), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, reviewId: string): Promise<QaReview> {
      checkCanUseQa(principal);
      return toQaReview(await find(principal, reviewId));
    },

    async decide(principal: TenantPrincipal, reviewId: string, decision: Schemas["QaReviewDecision"], requestId?: string): Promise<QaReview> {
      checkCanDecide(principal);
      const row = await db.$transaction(async (tx) => {
        const current = await tx.qaReview.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: reviewId } } });
        if (!current) throw problems.notFound("QA review", reviewId);
        const updated = await tx.qaReview.update({
          where: { tenantId_id: { tenantId: principal.tenantId, id: reviewId } },
          data: { status: decision.status, reviewComment: decision.comment ?? null, reviewerId: principal.userId, reviewedAt: new Date() },
        });
        await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "qa_review.decided",
          entity: { type: "qa_review", id: reviewId },
          ticketId: current.ticketId,
          internal: true,
          before: { status: current.status },
          after: { status: updated.status, reviewerId: principal.userId },
        });
        return updated;
      });
      return toQaReview(row);
    },
  };
}

export type QaReviewService = ReturnType<typeof createQaReviewService>;
