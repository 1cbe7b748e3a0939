import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { ReportService } from "./service.ts";

export function reportHandlers(reports: ReportService): Pick<Handlers, "getTicketsPerDayReport" | "getResponseTimesReport" | "getBacklogReport"> {
  return {
    getTicketsPerDayReport: async (request) => reports.ticketsPerDay(callerOf(request), request.query),
    getResponseTimesReport: async (request) => reports.responseTimes(callerOf(request), request.query),
    getBacklogReport: async (request) => reports.backlog(callerOf(request)),
  };
}
