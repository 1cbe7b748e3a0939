// JSON bodies, bounded in depth before they are parsed. Everything downstream (schema validation,
// size checks with JSON.stringify, hashing for idempotency, Prisma, jsonb) walks values
// recursively, so a body nested a few thousand levels deep would overflow the stack somewhere
// (a 500). One linear scan of the raw text refuses it first; the size is already bounded by
// Fastify's bodyLimit, which is enforced before this parser runs.
import type { FastifyInstance } from "fastify";
import { problems } from "../core/problem.ts";

/** Deeper than any document the contract describes, shallow enough for every recursive walk. */
export const MAX_JSON_DEPTH = 32;

/** Whether the JSON text opens more than `max` arrays/objects at once; strings are skipped. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  // Fastify's own parser (empty-body and prototype-poisoning checks) does the parsing.
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (nestsDeeperThan(body as string, MAX_JSON_DEPTH)) {
      done(problems.malformed(`The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
