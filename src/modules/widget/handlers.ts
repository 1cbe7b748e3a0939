import type { FastifyReply, FastifyRequest } from "fastify";
import type { Handlers } from "../../core/contract-types.ts";
import { callerOf, userOf } from "../../core/principal.ts";
import type { WidgetAssets } from "./assets.ts";
import type { WidgetService } from "./service.ts";

type WidgetHandlers = Pick<
  Handlers,
  "getWidgetLoader" | "getWidgetFrame" | "getWidgetChat" | "getWidgetSettings" | "updateWidgetSettings" | "rotateWidgetSecret" | "createWidgetSession" | "getWidgetAvailability" | "updateWidgetVisitor" | "getWidgetVisitor"
>;

function script(reply: FastifyReply, body: string): string {
  // Short caching: a new deployment's widget reaches sites within minutes.
  reply.type("text/javascript; charset=utf-8").header("cache-control", "public, max-age=300");
  return body;
}

/** This server's origin as the browser addressed it: what the frame's own requests carry as Origin. */
const selfOrigin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;

export function widgetHandlers(widget: WidgetService, assets: WidgetAssets): WidgetHandlers {
  return {
    getWidgetLoader: async (_request, reply) => script(reply, assets.loader()),
    getWidgetChat: async (_request, reply) => script(reply, assets.chat()),
    getWidgetFrame: async (request, reply) => {
      const frame = await widget.frameOf(request.query.tenant);
      reply.type("text/html; charset=utf-8").header("cache-control", "no-store");
      if (!frame) {
        reply.code(404);
        return "<!doctype html><title>Chat unavailable</title><p>This chat is not available.</p>";
      }
      const { html, csp } = assets.frame(request.query.tenant, frame.allowedOrigins);
      // Helmet's X-Frame-Options (SAMEORIGIN) would forbid every site: frame-ancestors says which may.
      reply.removeHeader("x-frame-options");
      reply.header("content-security-policy", csp);
      return html;
    },
    getWidgetSettings: async (request) => widget.getSettings(callerOf(request)),
    updateWidgetSettings: async (request) => widget.updateSettings(callerOf(request), request.body, request.id),
    rotateWidgetSecret: async (request, reply) => {
      reply.code(201);
      return widget.rotateSecret(callerOf(request), request.id);
    },
    createWidgetSession: async (request, reply) => {
      const session = await widget.createSession(request.params.tenantSlug, request.body ?? {}, {
        origin: typeof request.headers.origin === "string" ? request.headers.origin : undefined,
        selfOrigin: selfOrigin(request),
        userAgent: request.headers["user-agent"],
        requestId: request.id,
      });
      reply.code(201);
      return session;
    },
    getWidgetAvailability: async (request) => widget.availability(userOf(request)),
    updateWidgetVisitor: async (request) => widget.updateVisitor(userOf(request), request.body, request.id),
    getWidgetVisitor: async (request) => widget.getVisitor(callerOf(request), request.params.userId),
  };
}
