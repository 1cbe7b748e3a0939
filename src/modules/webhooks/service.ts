// Webhook endpoints and their deliveries, for the tenant's admins. Every change to an endpoint is
// an event (never with its secret); deliveries are created by the event feed's fan-out
// (src/modules/webhooks/delivery-sql.ts), or here by redelivery and replay.
import type { Database, Db } from "../../db/client.ts";
import type { TenantPrincipal } from "../../core/principal.ts";
import type { QueryOf, Schemas } from "../../core/contract-types.ts";
import { createdAtKeyset } from "../../core/cursor.ts";
import { Problem, problems } from "../../core/problem.ts";
import { appendEvent, changedFields, contextOf } from "../../events/event-log.ts";
import { EVENT_TYPE_DESCRIPTIONS } from "../../events/event-types.ts";
import type { Prisma, WebhookEndpoint as EndpointRow } from "../../generated/prisma/client.ts";
import { redeliver, replayRange } from "./delivery-sql.ts";
import type { WebhookAddressPolicy } from "./address-guard.ts";
import { checkEventTypes, checkUrl, SUBSCRIBABLE_EVENT_TYPES } from "./policy.ts";
import { toAttempt, toDelivery, toWebhook, type Webhook } from "./representation.ts";
import { generateSecret, type SecretBox } from "./secrets.ts";

/** How long a rotated-out secret keeps signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
const REPLAY_MAX_EVENTS = 10_000;

export interface WebhookServiceDeps {
  db: Database;
  secrets: SecretBox;
  /** Which webhook URLs may be saved (config.webhooks). */
  addressPolicy: WebhookAddressPolicy;
}

export function createWebhookService({ db, secrets, addressPolicy }: WebhookServiceDeps) {
  async function findEndpoint(tx: Db, principal: TenantPrincipal, webhookId: string): Promise<EndpointRow> {
    const row = await tx.webhookEndpoint.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id: webhookId } } });
    if (!row) throw problems.notFound("webhook", webhookId);
    return row;
  }
  function requireActive(row: EndpointRow): void {
    if (!row.active) throw new Problem(409, "webhook_inactive", "Conflict", `Webhook ${row.id} is disabled; activate it first (PATCH with active true).`);
  }

  return {
    eventTypes(): Schemas["WebhookEventTypeList"] {
      return { data: SUBSCRIBABLE_EVENT_TYPES.map((type) => ({ type, description: EVENT_TYPE_DESCRIPTIONS[type as keyof typeof EVENT_TYPE_DESCRIPTIONS] })) };
    },

    async list(principal: TenantPrincipal, query: QueryOf<"listWebhooks">): Promise<Schemas["WebhookList"]> {
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const rows = await db.webhookEndpoint.findMany({ where: { tenantId: principal.tenantId, ...keyset.where }, orderBy: keyset.orderBy, take: limit + 1 });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toWebhook), nextCursor: result.nextCursor };
    },

    async get(principal: TenantPrincipal, webhookId: string): Promise<Webhook> {
      return toWebhook(await findEndpoint(db, principal, webhookId));
    },

    async create(principal: TenantPrincipal, input: Schemas["WebhookCreate"], requestId?: string): Promise<Schemas["WebhookWithSecret"]> {
      const url = await checkUrl(input.url, addressPolicy);
      const eventTypes = checkEventTypes(input.eventTypes ?? ["*"]);
      const secret = generateSecret();
      return db.$transaction(async (tx) => {
        const row = await tx.webhookEndpoint.create({
          data: { tenantId: principal.tenantId, url, description: input.description ?? "", eventTypes, active: input.active ?? true, secret: secrets.seal(secret) },
        });
        const webhook = toWebhook(row);
        await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "webhook.created", entity: { type: "webhook", id: row.id }, after: webhook });
        return { ...webhook, secret };
      });
    },

    async update(principal: TenantPrincipal, webhookId: string, change: Schemas["WebhookUpdate"], requestId?: string): Promise<Webhook> {
      const data: Prisma.WebhookEndpointUpdateInput = {};
      if (change.url !== undefined) data.url = await checkUrl(change.url, addressPolicy);
      if (change.eventTypes !== undefined) data.eventTypes = checkEventTypes(change.eventTypes);
      if (change.description !== undefined) data.description = change.description;
      if (change.active !== undefined) {
        data.active = change.active;
        // Re-enabled by an admin: the server's reason and the failure streak are forgotten.
        if (change.active) Object.assign(data, { disabledReason: null, failingSince: null });
      }
      return db.$transaction(async (tx) => {
        const before = toWebhook(await findEndpoint(tx, principal, webhookId));
        const after = toWebhook(await tx.webhookEndpoint.update({ where: { tenantId_id: { tenantId: principal.tenantId, id: webhookId } }, data }));
        const diff = changedFields(before, after);
        if (Object.keys(diff.after).length > 0) {
          await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "webhook.updated", entity: { type: "webhook", id: webhookId }, ...diff });
        }
        return after;
      });
    },

    async delete(principal: TenantPrincipal, webhookId: string, requestId?: string): Promise<void> {
      await db.$transaction(async (tx) => {
        const before = toWebhook(await findEndpoint(tx, principal, webhookId));
        await tx.webhookEndpoint.delete({ where: { tenantId_id: { tenantId: principal.tenantId, id: webhookId } } });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "webhook.deleted", entity: { type: "webhook", id: webhookId }, before });
      });
    },

    async rotateSecret(principal: TenantPrincipal, webhookId: string, requestId?: string): Promise<Schemas["WebhookWithSecret"]> {
      const secret = generateSecret();
      return db.$transaction(async (tx) => {
        const current = await tx.$queryRaw<{ secret: string }[]>`
          SELECT secret FROM "WebhookEndpoint" WHERE "tenantId" = ${principal.tenantId}::uuid AND id = ${webhookId}::uuid FOR UPDATE`;
        if (current.length === 0) throw problems.notFound("webhook", webhookId);
        const row = await tx.webhookEndpoint.update({
          where: { tenantId_id: { tenantId: principal.tenantId, id: webhookId } },
          data: { secret: secrets.seal(secret), previousSecret: current[0]!.secret, previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS) },
        });
        await appendEvent(tx, contextOf(principal, requestId), { tenantId: principal.tenantId, type: "webhook.secret_rotated", entity: { type: "webhook", id: webhookId } });
        return { ...toWebhook(row), secret };
      });
    },

    /** A test event through the event log, so it takes the path real events take. */
    async ping(principal: TenantPrincipal, webhookId: string, requestId?: string): Promise<Schemas["WebhookPing"]> {
      return db.$transaction(async (tx) => {
        requireActive(await findEndpoint(tx, principal, webhookId));
        const eventId = await appendEvent(tx, contextOf(principal, requestId), {
          tenantId: principal.tenantId,
          type: "webhook.test",
          entity: { type: "webhook", id: webhookId },
          after: { message: "A test event from Docket." },
        });
        return { eventId };
      });
    },

    async replay(principal: TenantPrincipal, webhookId: string, range: Schemas["WebhookReplay"]): Promise<Schemas["WebhookReplayResult"]> {
      const since = new Date(range.since);
      const until = new Date(range.until);
      if (!(since < until)) throw problems.invalidField("/until", "must be after since");
      return db.$transaction(async (tx) => {
        requireActive(await findEndpoint(tx, principal, webhookId));
        return { queued: await replayRange(tx, principal.tenantId, webhookId, since, until, REPLAY_MAX_EVENTS) };
      });
    },

    async listDeliveries(principal: TenantPrincipal, webhookId: string, query: QueryOf<"listWebhookDeliveries">): Promise<Schemas["WebhookDeliveryList"]> {
      await findEndpoint(db, principal, webhookId);
      const limit = query.limit ?? 25;
      const keyset = createdAtKeyset(query.cursor, "desc");
      const rows = await db.webhookDelivery.findMany({
        where: { tenantId: principal.tenantId, endpointId: webhookId, status: query.status, eventType: query.eventType, ...keyset.where },
        orderBy: keyset.orderBy,
        take: limit + 1,
      });
      const result = keyset.page(rows, limit);
      return { data: result.data.map(toDelivery), nextCursor: result.nextCursor };
    },

    async getDelivery(principal: TenantPrincipal, webhookId: string, deliveryId: string): Promise<Schemas["WebhookDeliveryDetail"]> {
      const row = await db.webhookDelivery.findFirst({
        where: { tenantId: principal.tenantId, id: deliveryId, endpointId: webhookId },
        include: { attemptsMade: { orderBy: { number: "asc" } } },
      });
      if (!row) throw problems.notFound("delivery", deliveryId);
      return { ...toDelivery(row), attempts: row.attemptsMade.map(toAttempt) };
    },

    async redeliver(principal: TenantPrincipal, webhookId: string, deliveryId: string): Promise<Schemas["WebhookDelivery"]> {
      return db.$transaction(async (tx) => {
        requireActive(await findEndpoint(tx, principal, webhookId));
        const original = await tx.webhookDelivery.findFirst({ where: { tenantId: principal.tenantId, id: deliveryId, endpointId: webhookId } });
        if (!original) throw problems.notFound("delivery", deliveryId);
        const id = await redeliver(tx, principal.tenantId, webhookId, original.eventId);
        return toDelivery((await tx.webhookDelivery.findUnique({ where: { tenantId_id: { tenantId: principal.tenantId, id } } }))!);
      });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
