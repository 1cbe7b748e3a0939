// The chat widget: its settings (admins), visitors' sessions (public, by tenant slug), and what a
// visitor asks besides the tickets API (availability, a follow-up email). A visitor is a user of
// role `user` with a Visitor row; their conversations are tickets with channel `chat` that they
// requested, so the tickets, comments, attachments and stream policies apply to them unchanged.
import crypto from "node:crypto";
import type { Database, Db } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import { appendEvent, contextOf, type RequestContext } from "../../events/event-log.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { requireRole, type TenantPrincipal, type UserPrincipal } from "../../core/principal.ts";
import { Problem, problems } from "../../core/problem.ts";
import { canonicalLocale } from "../../core/locale.ts";
import { isKnownTimeZone } from "../../core/time-zone.ts";
import type { WidgetLimits } from "../../config.ts";
import type { Prisma, Visitor as VisitorRow, User as UserRow } from "../../generated/prisma/client.ts";
import type { SessionChange } from "../auth/session-changes.ts";
import { toUser } from "../users/representation.ts";
import { withinBusinessHours } from "./business-hours.ts";
import { generateWidgetSecret, hashResumeToken, newResumeToken, verifyIdentityToken, verifyUserHash, type VerifiedIdentity } from "./identity.ts";
import { toWidgetSettings, type IdentityMode, type WidgetAppearance, type WidgetSettings } from "./representation.ts";

type SessionRequest = Schemas["WidgetSessionRequest"];
type Session = Schemas["WidgetSession"];
type Visitor = Schemas["WidgetVisitor"];
type Availability = Schemas["WidgetAvailability"];

export interface WidgetServiceDeps {
  db: Database;
  /** Across tenants: the tenant of a slug, before its scope is known. */
  system: Database;
  /** Seals the identity secret at rest (AES-256-GCM). */
  secrets: { seal(secret: string): string; open(sealed: string): string };
  openSession(tx: Db, user: { tenantId: string; id: string }, ttlSeconds: number, userAgent: string | undefined): Promise<{ accessToken: string; expiresIn: number }>;
  /** Tells every instance's caches and live sockets that sessions ended. */
  sessionsEnded(change: SessionChange): void;
  staffOnline(tenantId: string): boolean;
  limits: WidgetLimits;
}

/** Where a session request came from, as the HTTP layer saw it. */
export interface SessionOrigin {
  /** The request's Origin header (absent from non-browser callers). */
  origin: string | undefined;
  /** This server's own origin as the browser addressed it: the frame's requests carry it. */
  selfOrigin: string;
  userAgent: string | undefined;
  requestId: string;
}

const VERIFIED_ONLY = "This chat accepts only verified visitors: sign the visitor's identity with the widget secret.";

/** Visitors never log in with a password: an argon2 hash never equals this. */
const NO_PASSWORD = "!widget-visitor";

function toVisitor(visitor: VisitorRow, user: UserRow): Visitor {
  return { id: user.id, kind: visitor.kind as Visitor["kind"], name: user.name, followUpEmail: visitor.followUpEmail };
}

function checkAppearance(appearance: WidgetAppearance | undefined): void {
  const timeZone = appearance?.businessHours?.timeZone;
  if (timeZone !== undefined && !isKnownTimeZone(timeZone)) throw problems.invalidField("/appearance/businessHours/timeZone", `is not a known IANA time zone (e.g. Europe/Lisbon), got "${timeZone}"`);
  for (const [index, slot] of (appearance?.businessHours?.weekly ?? []).entries()) {
    if (slot.close <= slot.open) throw problems.invalidField(`/appearance/businessHours/weekly/${index}/close`, "must be after open");
  }
}

export function createWidgetService(deps: WidgetServiceDeps) {
  const { db, system, secrets, limits } = deps;

  const settingsRow = (tenantId: string, tx: Db = db) => tx.widgetSettings.findUnique({ where: { tenantId } });

  /** The live tenant of a slug with its widget switched on, or 404 (a missing tenant and a switched-off widget look alike). */
  async function widgetOf(slug: string) {
    const tenant = await system.tenant.findUnique({ where: { slug } });
    if (!tenant || tenant.deletedAt || tenant.status !== "active") throw problems.notFound("chat widget", slug);
    // Awaited inside the scope: a Prisma query runs when awaited, not when built.
    const settings = await tenantScope.run(tenant.id, async () => await settingsRow(tenant.id));
    if (!settings?.enabled) throw problems.notFound("chat widget", slug);
    return { tenant, settings };
  }

  /**
   * A browser's page must be one of the allowed origins. The widget's frame is served from this
   * server, so its requests carry this server's origin: it names its page in `pageOrigin`, which
   * it learnt from the page's postMessage (the browser vouches for that origin), and which the
   * frame's CSP frame-ancestors already limits to the allowed origins.
   */
  function checkOrigin(allowed: readonly string[], from: SessionOrigin, pageOrigin: string | undefined): void {
    if (from.origin !== undefined && from.origin !== from.selfOrigin && !allowed.includes(from.origin)) throw problems.originNotAllowed(from.origin);
    const page = pageOrigin ?? (from.origin !== from.selfOrigin ? from.origin : undefined);
    if (from.origin === from.selfOrigin && page === undefined) throw problems.originNotAllowed("A page that does not say its origin");
    if (page !== undefined && !allowed.includes(page)) throw problems.originNotAllowed(page);
  }

  function availabilityOf(tenantId: string, appearance: WidgetAppearance): Availability {
    return { agentsOnline: deps.staffOnline(tenantId), withinBusinessHours: withinBusinessHours(appearance.businessHours) };
  }

  /** The identity the request proves, if it tries to prove one. */
  function verifiedIdentity(sealedSecret: string | null, input: SessionRequest): VerifiedIdentity | undefined {
    const claimsIdentity = input.identityToken !== undefined || input.userId !== undefined || input.userHash !== undefined;
    if (!claimsIdentity) return undefined;
    if (!sealedSecret) throw problems.unauthorized("This chat has no identity secret yet: an admin creates one with POST /v1/widget/settings/secret.");
    const secret = secrets.open(sealedSecret);
    if (input.identityToken !== undefined) return verifyIdentityToken(secret, input.identityToken);
    if (input.userId === undefined || input.userHash === undefined) throw problems.unauthorized("HMAC identity needs both userId and userHash.");
    verifyUserHash(secret, input.userId, input.userHash);
    return { externalId: input.userId, email: input.email?.toLowerCase(), name: input.name };
  }

  /** A new visitor user (role `user`) with an `user.created` event; the claimed email only if no one of the tenant has it. */
  async function createVisitor(tx: Prisma.TransactionClient, tenantId: string, context: RequestContext, visitor: { kind: "anonymous" | "verified"; externalId?: string; email?: string; name?: string; resumeTokenHash?: string; locale?: string }) {
    const id = crypto.randomUUID();
    const taken = visitor.email ? await tx.user.findUnique({ where: { tenantId_email: { tenantId, email: visitor.email } }, select: { id: true } }) : null;
    const email = visitor.email && !taken ? visitor.email : `visitor-${id}@visitors.invalid`;
    const name = visitor.name ?? `Visitor ${id.slice(0, 4).toUpperCase()}`;
    // The user's locale too: it is what the help center suggests articles for a ticket in.
    const locale = visitor.locale === undefined ? null : (canonicalLocale(visitor.locale) ?? null);
    const user = await tx.user.create({ data: { tenantId, id, email, name, role: "user", passwordHash: NO_PASSWORD, locale } });
    const row = await tx.visitor.create({
      data: { tenantId, userId: id, kind: visitor.kind, externalId: visitor.externalId ?? null, resumeTokenHash: visitor.resumeTokenHash ?? null, locale: visitor.locale ?? null },
    });
    await appendEvent(tx, { ...context, actor: { type: "user", id } }, { tenantId, type: "user.created", entity: { type: "user", id }, after: { ...toUser(user), visitor: visitor.kind } });
    return { user, visitor: row };
  }

  async function findVisitor(tx: Prisma.TransactionClient, where: Prisma.VisitorWhereInput) {
    const visitor = await tx.visitor.findFirst({ where, include: { user: true } });
    if (visitor && !visitor.user.active) throw problems.unauthorized("This visitor's account is deactivated.");
    return visitor;
  }

  return {
    async getSettings(principal: TenantPrincipal): Promise<WidgetSettings> {
      requireRole(principal, ["admin"], "read the chat widget's settings");
      return toWidgetSettings(await settingsRow(principal.tenantId));
    },

    /**
     * Saving settings switches the widget on unless `enabled: false` is sent. Moving to
     * verified-only ends every anonymous visitor's session in the same transaction, so from its
     * commit no anonymous token works anywhere (REST or stream).
     */
    async updateSettings(principal: TenantPrincipal, input: Schemas["WidgetSettingsUpdate"], requestId: string): Promise<WidgetSettings> {
      requireRole(principal, ["admin"], "configure the chat widget");
      checkAppearance(input.appearance);
      const { tenantId } = principal;
      const { settings, ended } = await db.$transaction(async (tx) => {
        const data = {
          enabled: input.enabled,
          identity: input.identity,
          allowedOrigins: input.allowedOrigins,
          appearance: input.appearance as Prisma.InputJsonValue | undefined,
        };
        const row = await tx.widgetSettings.upsert({ where: { tenantId }, create: { tenantId, ...data }, update: data });
        let ended: string[] = [];
        if (row.identity === "verified") {
          const live = await tx.session.findMany({ where: { tenantId, revokedAt: null, user: { visitor: { kind: "anonymous" } } }, select: { id: true, userId: true } });
          if (live.length > 0) {
            await tx.session.updateMany({ where: { tenantId, id: { in: live.map((session) => session.id) } }, data: { revokedAt: new Date(), revokedFor: "widget_verified_only" } });
            ended = [...new Set(live.map((session) => session.userId))];
          }
        }
        const settings = toWidgetSettings(row);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "widget.settings_updated", entity: { type: "widget", id: row.id }, after: settings });
        return { settings, ended };
      });
      if (ended.length > 0) deps.sessionsEnded({ ended: ended.map((userId) => ({ tenantId, userId })), roleChanged: [] });
      return settings;
    },

    /** A new secret, shown this once; the old one stops verifying at once. */
    async rotateSecret(principal: TenantPrincipal, requestId: string): Promise<Schemas["WidgetSecret"]> {
      requireRole(principal, ["admin"], "rotate the chat widget's secret");
      const secret = generateWidgetSecret();
      const rotatedAt = new Date();
      const { tenantId } = principal;
      await db.$transaction(async (tx) => {
        const data = { sealedSecret: secrets.seal(secret), secretRotatedAt: rotatedAt };
        // A new row stays off until settings are saved: a secret alone allows no site.
        const row = await tx.widgetSettings.upsert({ where: { tenantId }, create: { tenantId, enabled: false, ...data }, update: data });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "widget.secret_rotated", entity: { type: "widget", id: row.id } });
      });
      return { secret, rotatedAt: rotatedAt.toISOString() };
    },

    /** What the frame needs before any session: the sites that may frame it. Null: no such widget. */
    async frameOf(slug: string): Promise<{ allowedOrigins: readonly string[] } | null> {
      try {
        const { settings } = await widgetOf(slug);
        return { allowedOrigins: settings.allowedOrigins };
      } catch (error) {
        // Only "no such widget" is a missing page; a database that is down or busy is the server's trouble (5xx), not the widget's absence.
        if (error instanceof Problem && error.status === 404) return null;
        throw error;
      }
    },

    async createSession(slug: string, input: SessionRequest, from: SessionOrigin): Promise<Session> {
      const { tenant, settings } = await widgetOf(slug);
      checkOrigin(settings.allowedOrigins, from, input.pageOrigin);
      const identity = settings.identity as IdentityMode;
      const proven = verifiedIdentity(settings.sealedSecret, input);
      if (!proven && identity === "verified") throw problems.unauthorized(VERIFIED_ONLY);
      const context: RequestContext = { actor: { type: "system" }, requestId: from.requestId };
      const tenantId = tenant.id;
      const locale = input.locale?.slice(0, 35);

      return tenantScope.run(tenantId, () => db.$transaction(async (tx) => {
        // Read again under a share lock: a switch to verified-only that commits while this request
        // runs either comes first (and is seen here) or waits for this session, then ends it.
        const [current] = await tx.$queryRaw<Array<{ identity: string; enabled: boolean }>>`SELECT identity, enabled FROM "WidgetSettings" WHERE "tenantId" = ${tenantId}::uuid FOR SHARE`;
        if (!current?.enabled) throw problems.notFound("chat widget", slug);
        if (!proven && current.identity === "verified") throw problems.unauthorized(VERIFIED_ONLY);
        let resumeToken: string | null = null;
        let found: { user: UserRow; visitor: VisitorRow } | null = null;
        if (proven) {
          const visitor = await findVisitor(tx, { tenantId, externalId: proven.externalId });
          found = visitor ? { user: visitor.user, visitor } : await createVisitor(tx, tenantId, context, { kind: "verified", externalId: proven.externalId, email: proven.email, name: proven.name, locale });
        } else {
          const visitor = input.resumeToken ? await findVisitor(tx, { tenantId, kind: "anonymous", resumeTokenHash: hashResumeToken(input.resumeToken) }) : null;
          if (visitor) {
            found = { user: visitor.user, visitor };
            resumeToken = input.resumeToken!;
          } else {
            // An unknown or lost resume token starts afresh: it proves nothing either way.
            const fresh = newResumeToken();
            resumeToken = fresh.token;
            found = await createVisitor(tx, tenantId, context, { kind: "anonymous", resumeTokenHash: fresh.hash, locale });
          }
        }
        const visitor = await tx.visitor.update({ where: { tenantId_userId: { tenantId, userId: found.user.id } }, data: { lastSeenAt: new Date(), ...(locale ? { locale } : {}) } });
        const userLocale = locale === undefined ? undefined : canonicalLocale(locale);
        if (userLocale && userLocale !== found.user.locale) await tx.user.update({ where: { tenantId_id: { tenantId, id: found.user.id } }, data: { locale: userLocale } });
        const session = await deps.openSession(tx, found.user, limits.sessionTtlSeconds, from.userAgent);
        const appearance = settings.appearance as WidgetAppearance;
        return {
          ...session,
          tokenType: "Bearer" as const,
          resumeToken,
          visitor: toVisitor(visitor, found.user),
          widget: { tenantName: tenant.name, identity, appearance },
          availability: availabilityOf(tenantId, appearance),
          maxMessageLength: limits.maxMessageLength,
        };
      }));
    },

    async availability(principal: UserPrincipal): Promise<Availability> {
      const settings = await settingsRow(principal.tenantId);
      return availabilityOf(principal.tenantId, (settings?.appearance ?? {}) as WidgetAppearance);
    },

    /** Staff look up who a chat's requester is (and where to follow up). */
    async getVisitor(principal: TenantPrincipal, userId: string): Promise<Visitor> {
      requireRole(principal, ["admin", "agent"], "look up chat visitors");
      const visitor = await db.visitor.findUnique({ where: { tenantId_userId: { tenantId: principal.tenantId, userId } }, include: { user: true } });
      if (!visitor) throw problems.notFound("chat visitor", userId);
      return toVisitor(visitor, visitor.user);
    },

    /** A visitor leaves an email for the team to follow up on (kept on the visitor, not their login). */
    async updateVisitor(principal: UserPrincipal, input: Schemas["WidgetVisitorUpdate"], requestId: string): Promise<Visitor> {
      const { tenantId, userId } = principal;
      return db.$transaction(async (tx) => {
        const current = await tx.visitor.findUnique({ where: { tenantId_userId: { tenantId, userId } }, include: { user: true } });
        if (!current) throw problems.forbidden("Only the chat widget's visitors leave a follow-up email.");
        const followUpEmail = input.followUpEmail.toLowerCase();
        const updated = await tx.visitor.update({ where: { tenantId_userId: { tenantId, userId } }, data: { followUpEmail } });
        if (current.followUpEmail !== followUpEmail) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId, type: "user.updated", entity: { type: "user", id: userId }, before: { followUpEmail: current.followUpEmail }, after: { followUpEmail } });
        }
        return toVisitor(updated, current.user);
      });
    },
  };
}

export type WidgetService = ReturnType<typeof createWidgetService>;
