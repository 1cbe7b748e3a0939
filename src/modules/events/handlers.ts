import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { EventService } from "./service.ts";

export function eventHandlers(events: EventService): Pick<Handlers, "listEvents"> {
  return {
    listEvents: async (request) => events.trail(callerOf(request), request.query),
  };
}
