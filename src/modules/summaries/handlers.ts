import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { SummaryService } from "./service.ts";

export function summaryHandlers(summaries: SummaryService): Pick<Handlers, "getTicketSummary" | "generateTicketSummary"> {
  return {
    getTicketSummary: async (request) => summaries.get(callerOf(request), request.params.ticketId),
    generateTicketSummary: async (request) => summaries.generate(callerOf(request), request.params.ticketId, request.id),
  };
}
