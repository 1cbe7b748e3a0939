import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { WebhookService } from "./service.ts";

type WebhookOperations =
  | "listWebhooks"
  | "createWebhook"
  | "listWebhookEventTypes"
  | "getWebhook"
  | "updateWebhook"
  | "deleteWebhook"
  | "rotateWebhookSecret"
  | "pingWebhook"
  | "replayWebhook"
  | "listWebhookDeliveries"
  | "getWebhookDelivery"
  | "redeliverWebhookDelivery";

export function webhookHandlers(webhooks: WebhookService): Pick<Handlers, WebhookOperations> {
  return {
    listWebhooks: async (request) => webhooks.list(callerOf(request), request.query),
    createWebhook: async (request, reply) => {
      reply.status(201);
      return webhooks.create(callerOf(request), request.body, request.id);
    },
    listWebhookEventTypes: async () => webhooks.eventTypes(),
    getWebhook: async (request) => webhooks.get(callerOf(request), request.params.webhookId),
    updateWebhook: async (request) => webhooks.update(callerOf(request), request.params.webhookId, request.body, request.id),
    deleteWebhook: async (request, reply) => {
      await webhooks.delete(callerOf(request), request.params.webhookId, request.id);
      reply.status(204);
    },
    rotateWebhookSecret: async (request) => webhooks.rotateSecret(callerOf(request), request.params.webhookId, request.id),
    pingWebhook: async (request, reply) => {
      reply.status(202);
      return webhooks.ping(callerOf(request), request.params.webhookId, request.id);
    },
    replayWebhook: async (request, reply) => {
      reply.status(202);
      return webhooks.replay(callerOf(request), request.params.webhookId, request.body);
    },
    listWebhookDeliveries: async (request) => webhooks.listDeliveries(callerOf(request), request.params.webhookId, request.query),
    getWebhookDelivery: async (request) => webhooks.getDelivery(callerOf(request), request.params.webhookId, request.params.deliveryId),
    redeliverWebhookDelivery: async (request, reply) => {
      reply.status(202);
      return webhooks.redeliver(callerOf(request), request.params.webhookId, request.params.deliveryId);
    },
  };
}
