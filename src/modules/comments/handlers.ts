import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import { sendOutcome } from "../tickets/handlers.ts";
import type { CommentService } from "./service.ts";

export function commentHandlers(comments: CommentService): Pick<Handlers, "listComments" | "createComment" | "updateComment" | "deleteComment"> {
  return {
    listComments: async (request) => comments.list(userOf(request), request.params.ticketId, request.query),
    createComment: async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const outcome = await comments.create(userOf(request), request.params.ticketId, request.body, { idempotencyKey: typeof key === "string" ? key : undefined, requestId: request.id });
      return sendOutcome(reply, outcome);
    },
    updateComment: async (request) => comments.update(userOf(request), request.params.ticketId, request.params.commentId, request.body, request.id),
    deleteComment: async (request, reply) => {
      await comments.remove(userOf(request), request.params.ticketId, request.params.commentId, request.id);
      reply.status(204);
    },
  };
}
