import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
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
    listWebhooks: async (request) => webhooks.list(userOf(request), request.query),
    createWebhook: async (request, reply) => {
      reply.status(201);
      return webhooks.create(userOf(request), request.body, request.id);
    },
    listWebhookEventTypes: async () => webhooks.eventTypes(),
    getWebhook: async (request) => webhooks.get(userOf(request), request.params.webhookId),
    updateWebhook: async (request) => webhooks.update(userOf(request), request.params.webhookId, request.body, request.id),
    deleteWebhook: async (request, reply) => {
      await webhooks.delete(userOf(request), request.params.webhookId, request.id);
      reply.status(204);
    },
    rotateWebhookSecret: async (request) => webhooks.rotateSecret(userOf(request), request.params.webhookId, request.id),
    pingWebhook: async (request, reply) => {
      reply.status(202);
      return webhooks.ping(userOf(request), request.params.webhookId, request.id);
    },
    replayWebhook: async (request, reply) => {
      reply.status(202);
      return webhooks.replay(userOf(request), request.params.webhookId, request.body);
    },
    listWebhookDeliveries: async (request) => webhooks.listDeliveries(userOf(request), request.params.webhookId, request.query),
    getWebhookDelivery: async (request) => webhooks.getDelivery(userOf(request), request.params.webhookId, request.params.deliveryId),
    redeliverWebhookDelivery: async (request, reply) => {
      reply.status(202);
      return webhooks.redeliver(userOf(request), request.params.webhookId, request.params.deliveryId);
    },
  };
}
