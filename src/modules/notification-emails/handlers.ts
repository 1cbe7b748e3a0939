import type { Handlers } from "../../core/contract-types.ts";
import type { UnsubscribeService } from "./unsubscribe.ts";

export function notificationEmailHandlers(unsubscribes: UnsubscribeService): Pick<Handlers, "unsubscribeFromEmail"> {
  return {
    // The body (List-Unsubscribe=One-Click) says only that this is a one-click POST; the token says the rest.
    unsubscribeFromEmail: async (request) => unsubscribes.unsubscribe(request.query.token),
  };
}
