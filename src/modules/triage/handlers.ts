import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { TriageService } from "./service.ts";

export function triageHandlers(triage: TriageService): Pick<Handlers, "getTicketTriage"> {
  return {
    getTicketTriage: async (request) => triage.get(callerOf(request), request.params.ticketId),
  };
}
