import type { Handlers } from "../../core/contract-types.ts";
import { userOf } from "../../core/principal.ts";
import type { EventService } from "./service.ts";

export function eventHandlers(events: EventService): Pick<Handlers, "listEvents"> {
  return {
    listEvents: async (request) => events.trail(userOf(request), request.query),
  };
}
