import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import { sendOutcome } from "../tickets/handlers.ts";
import type { CommentService } from "./service.ts";

export function commentHandlers(comments: CommentService): Pick<Handlers, "listComments" | "createComment" | "updateComment" | "deleteComment"> {
  return {
    listComments: async (request) => comments.list(callerOf(request), request.params.ticketId, request.query),
    createComment: async (request, reply) => {
      const key = request.headers["idempotency-key"];
      const outcome = await comments.create(callerOf(request), request.params.ticketId, request.body, { idempotencyKey: typeof key === "string" ? key : undefined, requestId: request.id });
      return sendOutcome(reply, outcome);
    },
    updateComment: async (request) => comments.update(callerOf(request), request.params.ticketId, request.params.commentId, request.body, request.id),
    deleteComment: async (request, reply) => {
      await comments.remove(callerOf(request), request.params.ticketId, request.params.commentId, request.id);
      reply.status(204);
    },
  };
}
