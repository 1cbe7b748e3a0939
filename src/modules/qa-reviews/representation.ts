import type { QaReview as QaReviewRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type QaReview = Schemas["QaReview"];

export function toQaReview(row: QaReviewRow): QaReview {
  return {
    id: row.id,
    ticketId: row.ticketId,
    commentId: row.commentId,
    agentId: row.agentId,
    requestedById: row.requestedById,
    status: row.status,
    score: row.score,
    categories: row.categories as QaReview["categories"],
    provider: row.provider,
    model: row.model,
    reviewerId: row.reviewerId,
    reviewComment: row.reviewComment,
    reviewedAt: row.reviewedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What QA events carry: ids, status and score, never the quoted evidence (the words of comments that can be edited). */
export function qaReviewFacts(row: QaReviewRow) {
  return { reviewId: row.id, ticketId: row.ticketId, commentId: row.commentId, agentId: row.agentId, status: row.status, score: row.score, provider: row.provider, model: row.model };
}
