// What an endpoint may be: an http(s) URL whose host the address guard lets us reach (asked again
// by the transport at every attempt, on the address it connects to), and event types from the
// catalogue.
import { problems } from "../../core/problem.ts";
import { checkWebhookUrl, type WebhookAddressPolicy } from "./address-guard.ts";
import { EVENT_TYPES } from "../../events/event-types.ts";

/** What an endpoint can subscribe to: every type but the test event, which goes only where it is sent. */
export const SUBSCRIBABLE_EVENT_TYPES: readonly string[] = EVENT_TYPES.filter((type) => type !== "webhook.test");
const ALL = "*";

/** A 400 for what is not a URL at all; a 422 naming the setting that would allow what the guard refuses. */
export async function checkUrl(raw: string, policy: WebhookAddressPolicy): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problems.invalidField("/url", "must be an absolute http(s) URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw problems.invalidField("/url", "must be an http(s) URL");
  if (url.hash) throw problems.invalidField("/url", "must not have a #fragment");
  return (await checkWebhookUrl(url.toString(), policy)).toString();
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
