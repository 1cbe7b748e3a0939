// What a QA review looks at: one agent reply, or the public replies on a ticket of the agent who
// handled it (the assignee if they replied, else the member of staff who replied most), with what
// the customer wrote for the comprehension score.
import type { Db } from "../../db/client.ts";
import { problems } from "../../core/problem.ts";
import type { TicketRecord } from "../tickets/representation.ts";

export interface ReviewSubject {
  agentId: string;
  commentId: string | null;
  replies: string[];
  customerMessages: string[];
}

export async function subjectOf(db: Db, ticket: TicketRecord, commentId: string | undefined): Promise<ReviewSubject> {
  const comments = await db.comment.findMany({
    where: { tenantId: ticket.tenantId, ticketId: ticket.id, deletedAt: null },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: { author: { select: { role: true } } },
  });
  const isStaffReply = (comment: (typeof comments)[number]) => !comment.internal && comment.author.role !== "user" && comment.authorId !== ticket.requesterId;
  const customerMessages = [ticket.description || ticket.title, ...comments.filter((comment) => comment.authorId === ticket.requesterId && !comment.internal).map((comment) => comment.body)];
  if (commentId !== undefined) {
    const comment = comments.find((candidate) => candidate.id === commentId);
    if (!comment) throw problems.notFound("comment", commentId);
    if (!isStaffReply(comment)) throw problems.nothingToReview(`Comment ${commentId} is not a public reply by an agent.`);
    return { agentId: comment.authorId, commentId, replies: [comment.body], customerMessages };
  }
  const replies = comments.filter(isStaffReply);
  const counts = new Map<string, number>();
  for (const reply of replies) counts.set(reply.authorId, (counts.get(reply.authorId) ?? 0) + 1);
  const agentId = ticket.assigneeId && counts.has(ticket.assigneeId) ? ticket.assigneeId : [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!agentId) throw problems.nothingToReview(`No public reply by an agent on ticket ${ticket.id}.`);
  return { agentId, commentId: null, replies: replies.filter((reply) => reply.authorId === agentId).map((reply) => reply.body), customerMessages };
}
