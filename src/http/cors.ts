// CORS (@fastify/cors): browser pages on the origins of CORS_ORIGINS may call the API and read
// what a client needs (ETag for If-Match, rate-limit headers, the request id). With no origins
// configured the plugin is not registered at all: no cross-origin access, as before.
import type { FastifyInstance } from "fastify";
import cors, { type FastifyCorsOptions } from "@fastify/cors";

/** The request headers the API reads. */
const ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "If-None-Match", "X-Request-Id"];
/** The response headers a page's script may read (beyond the CORS-safelisted ones). */
const EXPOSED_HEADERS = ["ETag", "RateLimit-Policy", "RateLimit", "Retry-After", "Idempotent-Replayed", "X-Request-Id"];

export function corsOptions(origins: readonly string[]): FastifyCorsOptions {
  return {
    origin: [...origins],
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    // Bearer tokens, not cookies: no credentialed requests.
    credentials: false,
    // Browsers cap this (Chromium at 2 hours); 10 minutes keeps a changed allow-list prompt.
    maxAge: 600,
    // Preflights are answered in the onRequest hook, before authentication and routing, so every
    // route has one.
    preflight: true,
    strictPreflight: true,
  };
}

export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  await app.register(cors, corsOptions(origins));
}
