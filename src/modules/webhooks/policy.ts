// What an endpoint may be: an http(s) URL (https outside development and tests) and event types
// from the catalogue. Whether its address may be reached is the transport's question, asked again
// at every attempt.
import type { NodeEnv } from "../../config.ts";
import { problems } from "../../core/problem.ts";
import { EVENT_TYPES } from "../../events/event-log.ts";

/** What an endpoint can subscribe to: every type but the test event, which goes only where it is sent. */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = EVENT_TYPES.filter((type) => type !== "webhook.test");
const ALL = "*";

export function checkUrl(raw: string, env: NodeEnv): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problems.invalidField("/url", "must be an absolute http(s) URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw problems.invalidField("/url", "must be an http(s) URL");
  if (url.protocol === "http:" && env === "production") throw problems.webhookUrlRefused("Webhook URLs must use https.");
  if (url.username || url.password) throw problems.invalidField("/url", "must not carry credentials; authenticate deliveries by their signature");
  if (url.hash) throw problems.invalidField("/url", "must not have a #fragment");
  return url.toString();
}

export function checkEventTypes(types: readonly string[]): string[] {
  if (types.includes(ALL)) {
    if (types.length > 1) throw problems.invalidField("/eventTypes", `"*" means every type; send it alone`);
    return [ALL];
  }
  types.forEach((type, index) => {
    if (!SUBSCRIBABLE_EVENT_TYPES.includes(type)) {
      throw problems.invalidField(`/eventTypes/${index}`, `"${type}" is not an event type; GET /v1/webhooks/event-types lists them`);
    }
  });
  return [...types];
}
