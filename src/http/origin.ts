// The origin a client reached the API at, for links the API signs to itself (local storage):
// PUBLIC_URL when configured, else the request's scheme and host (X-Forwarded-* only when
// TRUST_PROXY is on, which Fastify handles).
import type { FastifyRequest } from "fastify";

export function originResolver(publicUrl: string | undefined): (request: FastifyRequest) => string {
  return (request) => publicUrl ?? `${request.protocol}://${request.host}`;
}
