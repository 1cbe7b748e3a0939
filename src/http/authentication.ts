// One onRequest hook authenticates every operation the way the contract's `security` says and
// enforces its `x-roles` (DESIGN.md, principle 5), before the body is even parsed. Finer rules
// (a `user` sees only their own things) live in each module's policy.
import crypto from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authentication, OperationId, Role } from "../core/contract.ts";
import { problems } from "../core/problem.ts";
import type { Principal, UserAuthenticator } from "../core/principal.ts";
import { tenantScope } from "../db/tenant-scope.ts";


declare module "fastify" {
  interface FastifyContextConfig {
    operationId?: OperationId;
    authentication?: Authentication;
    roles?: readonly Role[];
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

export interface AuthenticationOptions {
  authenticateUser: UserAuthenticator;
  /** Absent: the platform API is switched off and answers 401. */
  operatorToken: string | undefined;
  /** Absent: metrics are switched off and /metrics answers 404. */
  metricsToken: string | undefined;
}

export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest("principal", null);
  app.addHook("onRequest", async (request) => {
    const { authentication, roles, operationId } = request.routeOptions.config;
    if (authentication === undefined || authentication === "public") return;
    if (authentication === "metrics") {
      // Switched off, /metrics does not exist: 404 whatever the token. No principal either way:
      // the scraper reads this instance's figures, nothing of any tenant.
      if (!options.metricsToken) throw problems.notFound("metrics (METRICS_TOKEN is not configured)");
      if (!sameSecret(bearerToken(request), options.metricsToken)) throw problems.unauthorized("The metrics token is not valid.");
      return;
    }
    const token = bearerToken(request);
    if (authentication === "operator") {
      if (!options.operatorToken) throw problems.unauthorized("The platform API is disabled: PLATFORM_OPERATOR_TOKEN is not configured.");
      if (!sameSecret(token, options.operatorToken)) throw problems.unauthorized("The operator token is not valid.");
      request.principal = { kind: "operator" };
      return;
    }
    const principal = await options.authenticateUser(token);
    request.principal = principal;
    if (!roles?.includes(principal.role)) {
      throw problems.forbidden(`${operationId} requires one of the roles: ${roles?.join(", ")}; you are ${principal.role}.`);
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

