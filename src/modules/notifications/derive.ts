// The `notifications` consumer of the event feed: who is told of each event, and why. It runs on
// the workers' cross-tenant connection inside the feed's batch transaction, so the notifications
// of a batch and the cursor past it commit together: a crash loses none, and (with the unique
// (tenant, event, recipient)) none is made twice.
//
// The rules, for each event:
//   ticket.created         the assignee (assigned), the requester if someone else opened it (requester)
//   ticket.assigned        the new assignee (assigned)
//   ticket.status_changed  requester, assignee and followers
//   comment.created        requester (public comments), assignee, followers, and those @mentioned
//   comment.updated        those an edit newly @mentions (not who was told of a mention before)
//   user.updated           the user, when their password changed (password_changed, a security notice)
//   api_key.created        every admin of the tenant (api_key_created, a security notice)
// Nobody is told of their own action (security notices aside), nobody who is deactivated, and
// nobody of what they may not see, by the tickets' and comments' own policies, as things are now
// (a ticket or comment deleted meanwhile tells nobody). Preferences and mutes decide the channels;
// a notification due on none is not made.
import { PREPARED, type Db } from "../../db/client.ts";
import type { Role } from "../../core/contract.ts";
import type { UserPrincipal } from "../../core/principal.ts";
import type { FeedEvent } from "../../events/feed.ts";
import { canSee } from "../tickets/policy.ts";
import { canSeeComment } from "../comments/policy.ts";
import { isSecurityKind, type NotificationKind } from "./kinds.ts";
import { parseMentions } from "./mentions.ts";
import { preferenceTable, wants, type PreferenceRow } from "./preferences.ts";
import { NOTIFICATIONS_CHANNEL, type NotificationPush } from "./live.ts";
import { NOTIFICATION_COLUMNS, toNotification, type NotificationRow } from "./representation.ts";

/** The event types this consumer reads; the rest pass by. */
const HANDLED = new Set(["ticket.created", "ticket.assigned", "ticket.status_changed", "comment.created", "comment.updated", "user.updated", "api_key.created", "sla.warning", "sla.breached"]);
/** A reason beats those after it when one person has several. */
const PRECEDENCE: readonly NotificationKind[] = ["password_changed", "api_key_created", "mentioned", "assigned", "requester", "comment", "status_changed", "follower"];
const TITLE_MAX = 120;

interface TicketFacts {
  id: string;
  number: number;
  title: string;
  requesterId: string;
  assigneeId: string | null;
  deletedAt: Date | null;
}

interface Person {
  id: string;
  role: Role;
  active: boolean;
  name: string;
}

interface CommentFacts {
  id: string;
  internal: boolean;
  body: string;
  deletedAt: string | null;
}

interface Subscription {
  userId: string;
  state: "following" | "muted";
  reason: string;
}

/** One notification to make. */
interface Planned {
  tenantId: string;
  userId: string;
  eventId: string;
  eventType: string;
  reason: NotificationKind;
  ticketId: string | null;
  commentId: string | null;
  actorType: string;
  actorId: string | null;
  summary: string;
  inApp: boolean;
  email: boolean;
}

/** What a recipient is, as the visibility policies take it. */
function viewer(tenantId: string, person: Person): UserPrincipal {
  return { kind: "user", tenantId, userId: person.id, role: person.role, sessionId: "" };
}

function ticketLabel(ticket: TicketFacts): string {
  const title = ticket.title.length > TITLE_MAX ? `${ticket.title.slice(0, TITLE_MAX - 1)}…` : ticket.title;
  return `#${ticket.number} ${title}`;
}

/** Notifications due by email, handed over in the transaction that made them (the email digests schedule their jobs). */
export type EmailDue = (tx: Db, due: ReadonlyArray<{ tenantId: string; userId: string; ticketId: string | null }>) => Promise<void>;

/** Handles a batch of the feed (a FeedHandler): notifications made, follows recorded, pushes sent at commit. */
export async function notifyForEvents(tx: Db, events: readonly FeedEvent[], emailDue?: EmailDue): Promise<void> {
  const handled = events.filter((event) => HANDLED.has(event.type));
  if (handled.length === 0) return;
  // The batch's reads are two round trips whatever its size (as one event's were): each event's
  // ticket, defaults and actor name, then everyone its events may tell. Then each event is decided
  // in order.
  const contexts = await readEventContexts(tx, handled);
  const drafts = handled.map((event, index) => draftEvent(event, contexts[index]!)).filter((draft) => draft !== undefined);
  if (drafts.length === 0) return;
  const people = await readPeople(tx, drafts);
  const planned: Planned[] = [];
  const follows: Follow[] = [];
  for (const draft of drafts) planned.push(...(await decideEvent(tx, draft, people, follows)));
  await insertFollows(tx, follows);
  if (planned.length === 0) return;
  const made = await insertNotifications(tx, planned);
  const byEmail = made.filter((row) => row.email);
  if (emailDue && byEmail.length > 0) await emailDue(tx, byEmail);
}

/** The ticket, who follows or muted it, and the comment an event is about, as the batch read them. */
interface TicketContext {
  ticket: TicketFacts;
  subscriptions: Subscription[];
  comment: CommentFacts | undefined;
}

/** What the batch read for one event: its ticket (if it is about one that is still there), its tenant's default preferences and its actor's name. */
interface EventContext {
  ticket: TicketContext | undefined;
  defaults: PreferenceRow[];
  actorName: string | null;
}

/** An event's recipients as far as its ticket decides them, before people are read. */
interface Draft {
  event: FeedEvent;
  defaults: PreferenceRow[];
  actorName: string | null;
  reasons: Map<string, NotificationKind>;
  ticket: TicketFacts | undefined;
  comment: CommentFacts | undefined;
  subscriptions: Subscription[];
  /** The ticket's followers are told too (status changes and comments). */
  toldFollowers: boolean;
  /** Who starts following the ticket (the assignee, who commented or moved it). */
  autoFollow: { userId: string; reason: string } | undefined;
  mentionedEmails: string[];
  admins: boolean;
}

/** A subscription the batch adds. */
interface Follow {
  tenantId: string;
  ticketId: string;
  userId: string;
  reason: string;
}

function addReason(reasons: Map<string, NotificationKind>, userId: string | null | undefined, reason: NotificationKind): void {
  if (!userId) return;
  const had = reasons.get(userId);
  if (had === undefined || PRECEDENCE.indexOf(reason) < PRECEDENCE.indexOf(had)) reasons.set(userId, reason);
}

/** The first half of an event's rules, from its ticket alone; undefined: it tells nobody. */
function draftEvent(event: FeedEvent, { ticket: context, defaults, actorName }: EventContext): Draft | undefined {
  const actorUserId = event.actorType === "user" ? event.actorId : null;
  const reasons = new Map<string, NotificationKind>();
  const add = (userId: string | null | undefined, reason: NotificationKind) => addReason(reasons, userId, reason);
  const after = (event.after ?? {}) as Record<string, unknown>;
  const draft: Draft = { event, defaults, actorName, reasons, ticket: undefined, comment: undefined, subscriptions: [], toldFollowers: false, autoFollow: undefined, mentionedEmails: [], admins: false };

  const aboutComment = event.type === "comment.created" || event.type === "comment.updated";
  if (needsTicket(event)) {
    if (!context || context.ticket.deletedAt) return undefined;
    draft.ticket = context.ticket;
    draft.subscriptions = context.subscriptions;
    if (aboutComment) {
      if (!context.comment || context.comment.deletedAt) return undefined;
      draft.comment = context.comment;
    }
  }
  const { ticket, comment } = draft;

  switch (event.type) {
    case "ticket.created":
      if (!ticket) return undefined;
      add(ticket.assigneeId, "assigned");
      add(ticket.requesterId, "requester");
      if (ticket.assigneeId) draft.autoFollow = { userId: ticket.assigneeId, reason: "assigned" };
      break;
    case "ticket.assigned": {
      const assigneeId = typeof after.assigneeId === "string" ? after.assigneeId : null;
      // Only the assignee as it is now: a reassignment since then tells its own story.
      if (!ticket || !assigneeId || ticket.assigneeId !== assigneeId) return undefined;
      add(assigneeId, "assigned");
      draft.autoFollow = { userId: assigneeId, reason: "assigned" };
      break;
    }
    case "ticket.status_changed":
      if (!ticket) return undefined;
      draft.toldFollowers = true;
      add(ticket.assigneeId, "assigned");
      add(ticket.requesterId, "requester");
      if (actorUserId) draft.autoFollow = { userId: actorUserId, reason: "status_changed" };
      break;
    case "comment.created": {
      if (!ticket || !comment) return undefined;
      draft.toldFollowers = true;
      add(ticket.assigneeId, "assigned");
      add(ticket.requesterId, "requester");
      const mentions = parseMentions(comment.body);
      for (const userId of mentions.userIds) add(userId, "mentioned");
      draft.mentionedEmails = mentions.emails;
      if (actorUserId) draft.autoFollow = { userId: actorUserId, reason: "comment" };
      break;
    }
    case "comment.updated": {
      if (!ticket || !comment) return undefined;
      const mentions = parseMentions(comment.body);
      if (mentions.userIds.length === 0 && mentions.emails.length === 0) return undefined;
      for (const userId of mentions.userIds) add(userId, "mentioned");
      draft.mentionedEmails = mentions.emails;
      break;
    }
    case "sla.warning":
    case "sla.breached":
      // The assignee owes the reply or the resolution; the requester is never told of SLAs.
      if (!ticket) return undefined;
      add(ticket.assigneeId, "assigned");
      break;
    case "user.updated":
      if (after.passwordChanged !== true) return undefined;
      add(event.entityId, "password_changed");
      break;
    case "api_key.created":
      draft.admins = true;
      break;
  }
  return draft;
}

/**
 * The second half: followers (with those an earlier event of the batch made), the people read, the
 * follow this event adds (into `follows`), and the notifications due by preference.
 */
async function decideEvent(tx: Db, draft: Draft, people: BatchPeople, follows: Follow[]): Promise<Planned[]> {
  const { event, reasons, ticket, comment, autoFollow } = draft;
  const { tenantId } = event;
  const actorUserId = event.actorType === "user" ? event.actorId : null;
  const after = (event.after ?? {}) as Record<string, unknown>;
  const add = (userId: string | null | undefined, reason: NotificationKind) => addReason(reasons, userId, reason);
  // Read once for the batch, so the follows its earlier events made on this ticket are added here,
  // as the rows they insert would be.
  const subscriptions = ticket
    ? [...draft.subscriptions, ...follows.filter((made) => made.tenantId === tenantId && made.ticketId === ticket.id).map((made): Subscription => ({ userId: made.userId, state: "following", reason: made.reason }))]
    : [];
  if (draft.toldFollowers) {
    for (const subscription of subscriptions) {
      if (subscription.state !== "following") continue;
      add(subscription.userId, subscription.reason === "comment" ? "comment" : subscription.reason === "status_changed" ? "status_changed" : "follower");
    }
  }
  const byId = people.of(tenantId);
  // Those told by email or role rather than by id: found among the batch's people of the tenant.
  if (draft.mentionedEmails.length > 0 || draft.admins) {
    const emails = new Set(draft.mentionedEmails);
    for (const person of byId.values()) {
      if (emails.has(person.email)) add(person.id, "mentioned");
      if (draft.admins && person.role === "admin") add(person.id, "api_key_created");
    }
  }
  if (event.type === "comment.updated") for (const userId of await toldOfMention(tx, tenantId, comment!.id)) reasons.delete(userId);
  // Only who has no subscription yet (the common case of a regular is a row already there).
  if (autoFollow && ticket && !subscriptions.some((subscription) => subscription.userId === autoFollow.userId)) {
    const person = byId.get(autoFollow.userId);
    // Agents and admins follow what they are assigned, comment on or move.
    if (person && person.role !== "user" && person.active) follows.push({ tenantId, ticketId: ticket.id, userId: person.id, reason: autoFollow.reason });
  }

  const muted = new Set(subscriptions.filter((subscription) => subscription.state === "muted").map((subscription) => subscription.userId));
  const defaults = preferenceTable(draft.defaults);
  const actorName = draft.actorName ?? actorFallback(event);
  const plans: Planned[] = [];
  for (const [userId, reason] of reasons) {
    const person = byId.get(userId);
    // Who may be told: active, not the actor (security notices aside), and allowed to see it now.
    if (!person || !person.active) continue;
    if (userId === actorUserId && !isSecurityKind(reason)) continue;
    if (ticket && !canSee(viewer(tenantId, person), ticket)) continue;
    if (comment && !canSeeComment(viewer(tenantId, person), comment)) continue;
    const own = preferenceTable(person.preferences);
    const isMuted = muted.has(person.id);
    const inApp = wants(own, defaults, reason, "in_app", isMuted);
    const email = wants(own, defaults, reason, "email", isMuted);
    if (!inApp && !email) continue;
    plans.push({
      tenantId,
      userId: person.id,
      eventId: event.id,
      eventType: event.type,
      reason,
      ticketId: ticket?.id ?? null,
      commentId: comment?.id ?? null,
      actorType: event.actorType,
      actorId: event.actorId,
      summary: summarise(event, reason, actorName, ticket, comment, after),
      inApp,
      email,
    });
  }
  return plans;
}

function summarise(event: FeedEvent, reason: NotificationKind, actor: string, ticket: TicketFacts | undefined, comment: { internal: boolean } | undefined, after: Record<string, unknown>): string {
  const label = ticket ? ticketLabel(ticket) : "";
  switch (event.type) {
    case "ticket.created":
      return reason === "assigned" ? `${actor} assigned you ${label}` : `${actor} opened ${label} for you`;
    case "ticket.assigned":
      return `${actor} assigned you ${label}`;
    case "ticket.status_changed":
      return `${actor} moved ${label} to ${String(after.status ?? "another status")}`;
    case "comment.created":
    case "comment.updated": // only mentions
      if (reason === "mentioned") return `${actor} mentioned you on ${label}`;
      return comment?.internal ? `${actor} added an internal note on ${label}` : `${actor} commented on ${label}`;
    case "sla.warning":
      return `${label}: the ${String(after.metric ?? "SLA")} target is close to breach`;
    case "sla.breached":
      return `${label}: the ${String(after.metric ?? "SLA")} target was breached`;
    case "user.updated":
      return event.actorType === "user" && event.actorId === event.entityId ? "Your password was changed" : `${actor} changed your password`;
    case "api_key.created":
      return `${actor} created the API key “${String(after.name ?? "")}” (${String(after.role ?? "")})`;
    default:
      return event.type;
  }
}

function needsTicket(event: FeedEvent): boolean {
  const aboutComment = event.type === "comment.created" || event.type === "comment.updated";
  return event.ticketId !== null && (event.type.startsWith("ticket.") || event.type.startsWith("sla.") || aboutComment);
}

/**
 * Each event's context in one round trip, in the batch's order: its ticket, who follows or muted it
 * and its comment (when it is about a ticket that is still there), its tenant's default preferences
 * and its actor's name.
 */
async function readEventContexts(tx: Db, events: readonly FeedEvent[]): Promise<EventContext[]> {
  const aboutComment = (event: FeedEvent) => event.type === "comment.created" || event.type === "comment.updated";
  const rows = await tx.$queryRawUnsafe<(Partial<TicketFacts> & { i: number; subscriptions: Subscription[] | null; comment: CommentFacts | null; defaults: PreferenceRow[]; actorName: string | null })[]>(
    `${PREPARED}SELECT k.i::int AS i, t.id, t.number, t.title, t."requesterId", t."assigneeId", t."deletedAt",
            CASE WHEN t.id IS NOT NULL THEN coalesce((SELECT json_agg(json_build_object('userId', s."userId", 'state', s.state, 'reason', s.reason))
                        FROM "TicketSubscription" s WHERE s."tenantId" = t."tenantId" AND s."ticketId" = t.id), '[]'::json) END AS subscriptions,
            (SELECT json_build_object('id', c.id, 'internal', c.internal, 'body', c.body, 'deletedAt', c."deletedAt")
               FROM "Comment" c WHERE c."tenantId" = t."tenantId" AND c.id = k."commentId" AND c."ticketId" = t.id) AS comment,
            coalesce((SELECT json_agg(json_build_object('kind', d.kind, 'channel', d.channel, 'enabled', d.enabled))
                        FROM "NotificationDefault" d WHERE d."tenantId" = k."tenantId"), '[]'::json) AS defaults,
            CASE k."actorType" WHEN 'user' THEN (SELECT name FROM "User" WHERE "tenantId" = k."tenantId" AND id = k."actorId")
                               WHEN 'api_key' THEN (SELECT 'API key “' || name || '”' FROM "ApiKey" WHERE "tenantId" = k."tenantId" AND id = k."actorId") END AS "actorName"
       FROM unnest($1::text[]::uuid[], $2::text[]::uuid[], $3::text[]::uuid[], $4::text[], $5::text[]::uuid[]) WITH ORDINALITY AS k("tenantId", "ticketId", "commentId", "actorType", "actorId", i)
       LEFT JOIN "Ticket" t ON t."tenantId" = k."tenantId" AND t.id = k."ticketId"`,
    events.map((event) => event.tenantId),
    events.map((event) => (needsTicket(event) ? event.ticketId : null)),
    events.map((event) => (aboutComment(event) ? event.entityId : null)),
    events.map((event) => event.actorType),
    events.map((event) => event.actorId),
  );
  const contexts: EventContext[] = events.map(() => ({ ticket: undefined, defaults: [], actorName: null }));
  for (const { i, subscriptions, comment, defaults, actorName, ...ticket } of rows) {
    contexts[i - 1] = { ticket: ticket.id ? { ticket: ticket as TicketFacts, subscriptions: subscriptions ?? [], comment: comment ?? undefined } : undefined, defaults, actorName };
  }
  return contexts;
}

interface Recipient extends Person {
  email: string;
  preferences: PreferenceRow[];
}

/** Everyone the batch's events may tell, by tenant and id. */
interface BatchPeople {
  of(tenantId: string): ReadonlyMap<string, Recipient>;
}

/**
 * Everyone the batch's drafts may tell (by id, follower, auto-follow, mentioned email, or every
 * admin where an event tells admins), each with their own preferences, in one round trip.
 */
async function readPeople(tx: Db, drafts: readonly Draft[]): Promise<BatchPeople> {
  const ids: Array<[string, string]> = [];
  const emails: Array<[string, string]> = [];
  const adminTenants = new Set<string>();
  for (const draft of drafts) {
    const { tenantId } = draft.event;
    for (const userId of draft.reasons.keys()) ids.push([tenantId, userId]);
    // Followers are told only of what tells followers; a mute matters only to someone told anyway.
    if (draft.toldFollowers) for (const subscription of draft.subscriptions) if (subscription.state === "following") ids.push([tenantId, subscription.userId]);
    if (draft.autoFollow) ids.push([tenantId, draft.autoFollow.userId]);
    for (const email of draft.mentionedEmails) emails.push([tenantId, email]);
    if (draft.admins) adminTenants.add(tenantId);
  }
  const byTenant = new Map<string, Map<string, Recipient>>();
  if (ids.length > 0 || emails.length > 0 || adminTenants.size > 0) {
    const rows = await tx.$queryRawUnsafe<(Recipient & { tenantId: string })[]>(
      `${PREPARED}WITH wanted AS (
         SELECT u."tenantId", u.id FROM unnest($1::text[]::uuid[], $2::text[]::uuid[]) AS k("tenantId", id) JOIN "User" u ON u."tenantId" = k."tenantId" AND u.id = k.id
         UNION SELECT u."tenantId", u.id FROM unnest($3::text[]::uuid[], $4::text[]) AS k("tenantId", email) JOIN "User" u ON u."tenantId" = k."tenantId" AND u.email = k.email
         UNION SELECT u."tenantId", u.id FROM unnest($5::text[]::uuid[]) AS k("tenantId") JOIN "User" u ON u."tenantId" = k."tenantId" AND u.role = 'admin'
       )
       SELECT u."tenantId", u.id, u.role::text AS role, u.active, u.name, u.email,
              coalesce((SELECT json_agg(json_build_object('kind', p.kind, 'channel', p.channel, 'enabled', p.enabled))
                          FROM "NotificationPreference" p WHERE p."tenantId" = u."tenantId" AND p."userId" = u.id), '[]'::json) AS preferences
         FROM wanted w JOIN "User" u ON u."tenantId" = w."tenantId" AND u.id = w.id`,
      ids.map(([tenantId]) => tenantId),
      ids.map(([, userId]) => userId),
      emails.map(([tenantId]) => tenantId),
      emails.map(([, email]) => email),
      [...adminTenants],
    );
    for (const { tenantId, ...person } of rows) {
      let people = byTenant.get(tenantId);
      if (!people) byTenant.set(tenantId, (people = new Map()));
      people.set(person.id, person);
    }
  }
  const none = new Map<string, Recipient>();
  return { of: (tenantId) => byTenant.get(tenantId) ?? none };
}

function actorFallback(event: FeedEvent): string {
  if (event.actorType === "system") return "Docket";
  if (event.actorType === "operator") return "The platform operator";
  return event.actorType === "api_key" ? "An API key" : "Someone";
}

/** Who was already told of being mentioned in this comment: an edit tells only the newly mentioned. */
async function toldOfMention(tx: Db, tenantId: string, commentId: string): Promise<string[]> {
  const rows = await tx.$queryRawUnsafe<{ userId: string }[]>(
    `SELECT "userId" FROM "Notification" WHERE "tenantId" = $1::uuid AND "commentId" = $2::uuid AND reason = 'mentioned'`,
    tenantId,
    commentId,
  );
  return rows.map((row) => row.userId);
}

/** The batch's new follows; an existing choice (a mute, an unfollow-then-follow) stands. */
async function insertFollows(tx: Db, follows: readonly Follow[]): Promise<void> {
  if (follows.length === 0) return;
  await tx.$executeRawUnsafe(
    `INSERT INTO "TicketSubscription" ("tenantId", "ticketId", "userId", state, reason)
     SELECT "tenantId", "ticketId", "userId", 'following', reason FROM unnest($1::text[]::uuid[], $2::text[]::uuid[], $3::text[]::uuid[], $4::text[]) AS f("tenantId", "ticketId", "userId", reason)
     ON CONFLICT ("tenantId", "ticketId", "userId") DO NOTHING`,
    follows.map((made) => made.tenantId),
    follows.map((made) => made.ticketId),
    follows.map((made) => made.userId),
    follows.map((made) => made.reason),
  );
}

/**
 * Inserts the batch's notifications and keeps each recipient's unread counter exact: the inbox
 * rows are locked first, in one order (no deadlock with another writer), and each row's createdAt
 * is taken after that lock, so a concurrent mark-all-read is either wholly before it (the row is
 * past the new watermark, unread, counted) or wholly after it. Pushes go out at commit.
 */
async function insertNotifications(tx: Db, planned: readonly Planned[]): Promise<Array<{ tenantId: string; userId: string; ticketId: string | null; email: boolean }>> {
  const column = <K extends keyof Planned>(key: K) => planned.map((row) => row[key]);
  // Creates the inboxes that are new and locks them all, in (tenant, user) order: a no-op update
  // on conflict takes the row lock an INSERT … DO NOTHING would not.
  await tx.$executeRawUnsafe(
    `INSERT INTO "NotificationInbox" ("tenantId", "userId")
     SELECT DISTINCT t, u FROM unnest($1::text[]::uuid[], $2::text[]::uuid[]) AS i(t, u) ORDER BY 1, 2
     ON CONFLICT ("tenantId", "userId") DO UPDATE SET "unreadCount" = "NotificationInbox"."unreadCount"`,
    column("tenantId"),
    column("userId"),
  );
  const rows = await tx.$queryRawUnsafe<(NotificationRow & { tenantId: string; unreadCount: number; readUpTo: Date | null; readAllAt: Date | null })[]>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[]::uuid[], $2::text[]::uuid[], $3::text[]::uuid[], $4::text[], $5::text[], $6::text[]::uuid[], $7::text[]::uuid[], $8::text[]::"ActorType"[], $9::text[]::uuid[], $10::text[], $11::boolean[], $12::boolean[])
         AS i("tenantId", "userId", "eventId", "eventType", reason, "ticketId", "commentId", "actorType", "actorId", summary, "inApp", email)
     ), n AS (
       INSERT INTO "Notification" ("tenantId", id, "userId", "eventId", "eventType", reason, "ticketId", "commentId", "actorType", "actorId", summary, "inApp", email, "createdAt")
       SELECT "tenantId", gen_random_uuid(), "userId", "eventId", "eventType", reason, "ticketId", "commentId", "actorType", "actorId", summary, "inApp", email, clock_timestamp() FROM input
       ON CONFLICT ("tenantId", "eventId", "userId") DO NOTHING
       RETURNING *
     ), added AS (
       SELECT n."tenantId", n."userId", count(*)::int AS count FROM n JOIN "NotificationInbox" b ON b."tenantId" = n."tenantId" AND b."userId" = n."userId"
        WHERE n."inApp" AND n."readAt" IS NULL AND (b."readUpTo" IS NULL OR n."createdAt" > b."readUpTo")
        GROUP BY 1, 2
     ), counted AS (
       UPDATE "NotificationInbox" b SET "unreadCount" = b."unreadCount" + added.count FROM added
        WHERE b."tenantId" = added."tenantId" AND b."userId" = added."userId"
        RETURNING b."tenantId", b."userId", b."unreadCount"
     )
     SELECT n."tenantId", ${NOTIFICATION_COLUMNS}, coalesce(c."unreadCount", b."unreadCount") AS "unreadCount", b."readUpTo", b."readAllAt"
       FROM n JOIN "NotificationInbox" b ON b."tenantId" = n."tenantId" AND b."userId" = n."userId"
       LEFT JOIN counted c ON c."tenantId" = n."tenantId" AND c."userId" = n."userId"`,
    column("tenantId"),
    column("userId"),
    column("eventId"),
    column("eventType"),
    column("reason"),
    column("ticketId"),
    column("commentId"),
    column("actorType"),
    column("actorId"),
    column("summary"),
    column("inApp"),
    column("email"),
  );
  const pushes = rows
    .filter((row) => row.inApp)
    .map((row): NotificationPush => ({ tenantId: row.tenantId, userId: row.userId, unreadCount: row.unreadCount, notification: toNotification(row, row) }))
    .map((push) => JSON.stringify(push));
  if (pushes.length > 0) await tx.$executeRawUnsafe(`SELECT pg_notify('${NOTIFICATIONS_CHANNEL}', payload) FROM unnest($1::text[]) AS payload`, pushes);
  return rows;
}
