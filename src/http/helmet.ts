// Security headers on every response (@fastify/helmet): nosniff above all, since the API serves
// user files (local storage) and JSON a browser must never reinterpret as HTML or script.
// Helmet's default Content-Security-Policy suits Swagger UI at /docs (its scripts and styles are
// files of its own origin); local-storage downloads set a stricter policy of their own.
import type { FastifyInstance } from "fastify";
import helmet, { type FastifyHelmetOptions } from "@fastify/helmet";

export const helmetOptions: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: {
    // Helmet's default would make browsers upgrade every request of /docs to https, which breaks
    // Swagger UI (and "Try it out") wherever the API is served over plain http, such as on a LAN
    // or behind a proxy that terminates TLS elsewhere.
    directives: { upgradeInsecureRequests: null },
  },
  // Attachments' signed download URLs are meant to be shown by the pages of CORS_ORIGINS
  // (<img src>); same-origin would block that. Access rests on the signature, not on the origin.
  crossOriginResourcePolicy: { policy: "cross-origin" },
};

export async function registerHelmet(app: FastifyInstance): Promise<void> {
  await app.register(helmet, helmetOptions);
}
