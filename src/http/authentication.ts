// One onRequest hook authenticates every operation the way the contract's `security` says and
// enforces its `x-roles` (DESIGN.md, principle 5), before the body is even parsed. Finer rules
// (a `user` sees only their own things) live in each module's policy.
import crypto from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authentication, OperationId, Role, Scope } from "../core/contract.ts";
import { Problem, problems } from "../core/problem.ts";
import { API_KEY_MARKER, type ApiKeyAuthenticator, type Principal, type StreamCredentials, type UserAuthenticator, type UserPrincipal } from "../core/principal.ts";
import { tenantScope } from "../db/tenant-scope.ts";


declare module "fastify" {
  interface FastifyContextConfig {
    operationId?: OperationId;
    authentication?: Authentication;
    roles?: readonly Role[];
    /** From x-scopes: what an API key needs; empty, API keys may not call it. */
    scopes?: readonly Scope[];
    /** From x-widget: a widget visitor's token may call it. */
    widget?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header) throw problems.unauthorized("Send an Authorization: Bearer <token> header.");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw problems.unauthorized("The Authorization header must be: Bearer <token>.");
  return match[1];
}

function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash("sha256").update(given).digest();
  const b = crypto.createHash("sha256").update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

export const STREAM_SUBPROTOCOL = "docket.v1";
const BEARER_SUBPROTOCOL = "docket.bearer.";

/** Browsers cannot set headers on a WebSocket: the ticket in the URL, or the token as a subprotocol. */
function streamCredentials(request: FastifyRequest): StreamCredentials | undefined {
  const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
  if (typeof ticket === "string" && ticket !== "") return { ticket };
  const offered = String(request.headers["sec-websocket-protocol"] ?? "").split(",").map((protocol) => protocol.trim());
  const bearer = offered.find((protocol) => protocol.startsWith(BEARER_SUBPROTOCOL));
  if (bearer && bearer.length > BEARER_SUBPROTOCOL.length) return { accessToken: bearer.slice(BEARER_SUBPROTOCOL.length) };
  return undefined;
}

export interface AuthenticationOptions {
  authenticateUser: UserAuthenticator;
  /** The live stream's sockets (operations whose security is the stream ticket or subprotocol). */
  authenticateStream: (credentials: StreamCredentials) => Promise<UserPrincipal>;
  /** For bearer tokens shaped like an API key (`dkt_…`); anything else is taken for a user's JWT. */
  authenticateApiKey: ApiKeyAuthenticator;
  /** Absent: the platform API is switched off and answers 401. */
  operatorToken: string | undefined;
  /** Absent: metrics are switched off and /metrics answers 404. */
  metricsToken: string | undefined;
}

export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const { authentication, roles, scopes, operationId, widget } = request.routeOptions.config;
    if (authentication === undefined || authentication === "public") return;
    if (authentication === "metrics") {
      // Switched off, /metrics does not exist: 404 whatever the token. No principal either way:
      // the scraper reads this instance's figures, nothing of any tenant.
      if (!options.metricsToken) throw problems.notFound("metrics (METRICS_TOKEN is not configured)");
      if (!sameSecret(bearerToken(request), options.metricsToken)) throw problems.unauthorized("The metrics token is not valid.");
      return;
    }
    if (authentication === "stream") {
      const credentials = streamCredentials(request);
      if (!credentials) throw problems.unauthorized(`Open the stream with ?ticket=<ticket from POST /v1/stream/tickets>, or the subprotocols ${STREAM_SUBPROTOCOL}, ${BEARER_SUBPROTOCOL}<access token>.`);
      // Checked before the ticket is spent: a plain GET must not use it up.
      if (String(request.headers.upgrade ?? "").toLowerCase() !== "websocket") throw problems.upgradeRequired(`${request.url.split("?")[0]} is a WebSocket: connect with Upgrade: websocket.`);
      const principal = await options.authenticateStream(credentials);
      request.principal = principal;
      if (!roles?.includes(principal.role)) throw problems.forbidden(`${operationId} requires one of the roles: ${roles?.join(", ")}; you are ${principal.role}.`);
      return;
    }
    const token = bearerToken(request);
    if (authentication === "operator") {
      if (!options.operatorToken) throw problems.unauthorized("The platform API is disabled: PLATFORM_OPERATOR_TOKEN is not configured.");
      if (!sameSecret(token, options.operatorToken)) throw problems.unauthorized("The operator token is not valid.");
      request.principal = { kind: "operator" };
      return;
    }
    const principal = token.startsWith(API_KEY_MARKER) ? await options.authenticateApiKey(token) : await options.authenticateUser(token);
    request.principal = principal;
    if (!roles?.includes(principal.role)) {
      throw problems.forbidden(`${operationId} requires one of the roles: ${roles?.join(", ")}; you are ${principal.role}.`);
    }
    // A visitor's token is for the chat and nothing else, whatever its role would allow.
    if (principal.kind === "user" && principal.widget && !widget) throw problems.forbidden(`${operationId} is not open to the chat widget's visitors.`);
    if (principal.kind === "api_key") {
      if (!scopes || scopes.length === 0) throw problems.forbidden(`${operationId} is not open to API keys; call it with a user's access token.`);
      const missing = principal.scopes === null ? undefined : scopes.find((scope) => !principal.scopes!.includes(scope));
      if (missing !== undefined) {
        throw new Problem(403, "insufficient_scope", "Insufficient scope", `${operationId} needs the API key scope ${missing}; this key has ${principal.scopes!.join(", ")}.`);
      }
    }
  });
  // The handler and all it awaits run in the user's tenant scope, so row-level security sees only
  // that tenant's rows whatever the services' queries say. Set here, after the body is parsed:
  // the scope would not survive the request stream's events in between.
  // Any principal of a tenant (a user today; an API key too, should it carry a tenantId).
  app.addHook("preHandler", (request, _reply, done) => {
    const principal = request.principal;
    if (principal && "tenantId" in principal) tenantScope.run(principal.tenantId, done);
    else done();
  });
}

