import type { Handlers } from "../../http/contract-types.ts";
import { userOf } from "../../http/authentication.ts";
import type { EventService } from "./service.ts";

export function eventHandlers(events: EventService): Pick<Handlers, "listEvents"> {
  return {
    listEvents: async (request) => events.trail(userOf(request), request.query),
  };
}
