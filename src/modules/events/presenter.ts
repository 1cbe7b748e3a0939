// The event presenter with the entity readers of the modules that own tickets, comments,
// attachments and users: each reads its rows as they are now, in one query, through the module's
// own representation and visibility rules (src/events/payload.ts states the rule).
//
// presentEvents(db, viewer, rows) needs no HTTP request: the activity and trail endpoints call it,
// and so can any consumer of the event log (webhooks, live updates) for the events it sends.
import type { TenantPrincipal } from "../../core/principal.ts";
import { createEventPresenter, roleOf, type EntityReader, type EventViewer } from "../../events/payload.ts";
import { attachmentFacts } from "../attachments/representation.ts";
import { canSeeAttachment } from "../attachments/policy.ts";
import { canSeeComment } from "../comments/policy.ts";
import { toComment } from "../comments/representation.ts";
import { canSee } from "../tickets/policy.ts";
import { toTicket } from "../tickets/representation.ts";
import { toUser } from "../users/representation.ts";

/** The viewer as the modules' policies take it; an integration sees what an admin sees (its userId is never compared then). */
function asPrincipal(viewer: EventViewer): TenantPrincipal {
  return { kind: "user", tenantId: viewer.tenantId, userId: viewer.kind === "user" ? viewer.userId : "", role: roleOf(viewer), sessionId: "" };
}

const TICKET_VISIBILITY = { select: { requesterId: true, deletedAt: true } } as const;

const readTickets: EntityReader = async (db, viewer, ids) => {
  const principal = asPrincipal(viewer);
  const rows = await db.ticket.findMany({ where: { tenantId: viewer.tenantId, id: { in: [...ids] } } });
  return new Map(rows.filter((row) => canSee(principal, row)).map((row) => [row.id, toTicket(row)]));
};

const readComments: EntityReader = async (db, viewer, ids) => {
  const principal = asPrincipal(viewer);
  const rows = await db.comment.findMany({ where: { tenantId: viewer.tenantId, id: { in: [...ids] } }, include: { ticket: TICKET_VISIBILITY } });
  return new Map(rows.filter((row) => canSee(principal, row.ticket) && canSeeComment(principal, row)).map((row) => [row.id, toComment(row)]));
};

/** Without a download URL: a presented event outlives any URL, and a URL is handed out by the attachments API only. */
const readAttachments: EntityReader = async (db, viewer, ids) => {
  const principal = asPrincipal(viewer);
  const rows = await db.attachment.findMany({
    where: { tenantId: viewer.tenantId, id: { in: [...ids] } },
    include: { ticket: TICKET_VISIBILITY, comment: { select: { internal: true } } },
  });
  return new Map(rows.filter((row) => canSee(principal, row.ticket) && canSeeAttachment(principal, row)).map((row) => [row.id, attachmentFacts(row)]));
};

/** Users are shown to admins (and integrations) only: the trail is theirs. */
const readUsers: EntityReader = async (db, viewer, ids) => {
  if (roleOf(viewer) !== "admin") return new Map();
  const rows = await db.user.findMany({ where: { tenantId: viewer.tenantId, id: { in: [...ids] } } });
  return new Map(rows.map((row) => [row.id, toUser(row)]));
};

export const presentEvents = createEventPresenter({ ticket: readTickets, comment: readComments, attachment: readAttachments, user: readUsers });
