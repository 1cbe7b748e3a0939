// A ticket's discussion as one audience may see it: what a summary is built from, and the newest
// event it covers. The requester's view leaves out internal notes and internal events; automation's
// own events (triage, summaries, QA) never make a summary stale.
import type { Db } from "../../db/client.ts";
import type { DiscussionMessage } from "../../ai/provider.ts";
import type { TicketRecord } from "../tickets/representation.ts";

export type Audience = "staff" | "requester";

const AUTOMATION_EVENTS = ["ticket.triaged", "ticket.summarized", "qa_review.created", "qa_review.decided"];

export async function discussionOf(db: Db, ticket: TicketRecord, audience: Audience): Promise<DiscussionMessage[]> {
  const comments = await db.comment.findMany({
    where: { tenantId: ticket.tenantId, ticketId: ticket.id, deletedAt: null, ...(audience === "requester" ? { internal: false } : {}) },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    include: { author: { select: { name: true, role: true } } },
  });
  const requester = await db.user.findUnique({ where: { tenantId_id: { tenantId: ticket.tenantId, id: ticket.requesterId } }, select: { name: true } });
  const opening: DiscussionMessage = { author: requester?.name ?? "requester", role: "requester", internal: false, body: ticket.description || ticket.title, at: ticket.createdAt.toISOString() };
  return [
    opening,
    ...comments.map((comment) => ({
      author: comment.author.name,
      role: comment.authorId === ticket.requesterId ? ("requester" as const) : comment.author.role,
      internal: comment.internal,
      body: comment.body,
      at: comment.createdAt.toISOString(),
    })),
  ];
}

/** The newest event of the ticket the audience may see, automation's own aside. */
export async function latestEventOf(db: Db, ticket: Pick<TicketRecord, "tenantId" | "id">, audience: Audience): Promise<{ id: string; seq: bigint } | null> {
  return db.event.findFirst({
    where: { tenantId: ticket.tenantId, ticketId: ticket.id, type: { notIn: AUTOMATION_EVENTS }, ...(audience === "requester" ? { internal: false } : {}) },
    orderBy: { seq: "desc" },
    select: { id: true, seq: true },
  });
}
