// A path with `.` or `..` segments (sent as is, e.g. `curl --path-as-is`, or percent-encoded)
// names no resource: clients remove dot segments before sending (RFC 3986 §5.2.4), and a
// wildcard route such as Swagger UI's static files must not see them either. It is a 404, like
// any other path without a route.
import type { FastifyInstance } from "fastify";
import { problems } from "../core/problem.ts";

const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

export function registerDotSegmentCheck(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    const path = request.url.split("?")[0] ?? "";
    if (DOT_SEGMENT.test(path)) throw problems.routeNotFound(request.method, path);
  });
}
