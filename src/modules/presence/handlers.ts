import type { Handlers } from "../../core/contract-types.ts";
import { callerOf, userOf } from "../../core/principal.ts";
import type { PresenceService } from "./service.ts";

export function presenceHandlers(presence: PresenceService): Pick<Handlers, "listReadMarkers" | "markTicketRead"> {
  return {
    listReadMarkers: async (request) => ({ data: await presence.readMarkers(callerOf(request), request.params.ticketId) }),
    markTicketRead: async (request) => presence.markRead(userOf(request), request.params.ticketId, request.body.commentId),
  };
}
