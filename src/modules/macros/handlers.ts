import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import { etagOf } from "../../core/etag.ts";
import { header, sendOutcome } from "../tickets/handlers.ts";
import type { MacroService } from "./service.ts";

export function macroHandlers(macros: MacroService): Pick<Handlers, "listMacros" | "createMacro" | "getMacro" | "updateMacro" | "deleteMacro" | "applyMacro"> {
  return {
    listMacros: async (request) => macros.list(callerOf(request), request.query),
    createMacro: async (request, reply) => {
      reply.status(201);
      return macros.create(callerOf(request), request.body, request.id);
    },
    getMacro: async (request) => macros.get(callerOf(request), request.params.macroId),
    updateMacro: async (request) => macros.update(callerOf(request), request.params.macroId, request.body, request.id),
    deleteMacro: async (request, reply) => {
      await macros.remove(callerOf(request), request.params.macroId, request.id);
      reply.status(204);
    },
    applyMacro: async (request, reply) => {
      const outcome = await macros.apply(callerOf(request), request.params.ticketId, request.params.macroId, {
        ifMatch: header(request, "if-match"),
        idempotencyKey: header(request, "idempotency-key"),
        requestId: request.id,
      });
      return sendOutcome(reply, outcome, etagOf(outcome.body.ticket.version));
    },
  };
}
