// A chat visitor's message has a size limit of its own (WIDGET_MAX_MESSAGE_LENGTH), well under
// what the tickets API takes from staff: checked once the body is parsed, on every operation a
// widget token may call, for the fields that carry a visitor's words.
import type { FastifyInstance } from "fastify";
import { problems } from "../core/problem.ts";

const MESSAGE_FIELDS = ["title", "description", "body"] as const;

export function registerWidgetMessageLimit(app: FastifyInstance, maxLength: number): void {
  app.addHook("preHandler", async (request) => {
    const principal = request.principal;
    if (principal?.kind !== "user" || !principal.widget) return;
    const body = request.body as Record<string, unknown> | null | undefined;
    if (typeof body !== "object" || body === null) return;
    for (const field of MESSAGE_FIELDS) {
      const value = body[field];
      if (typeof value === "string" && [...value].length > maxLength) throw problems.messageTooLong(maxLength);
    }
  });
}
