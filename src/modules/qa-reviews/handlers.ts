import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { QaReviewService } from "./service.ts";

export function qaReviewHandlers(reviews: QaReviewService): Pick<Handlers, "listQaReviews" | "createQaReview" | "getQaReview" | "decideQaReview"> {
  return {
    listQaReviews: async (request) => reviews.list(callerOf(request), request.query),
    createQaReview: async (request, reply) => {
      const review = await reviews.create(callerOf(request), request.body, request.id);
      reply.status(201);
      return review;
    },
    getQaReview: async (request) => reviews.get(callerOf(request), request.params.reviewId),
    decideQaReview: async (request) => reviews.decide(callerOf(request), request.params.reviewId, request.body, request.id),
  };
}
