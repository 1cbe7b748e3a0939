// Generated from the contract: every operation, called with every role's token, is allowed
// exactly when its x-roles lists the role. Without a token everything but public operations is a
// 401; platform operations take the operator token and nothing else.
//
// The contract itself is pinned by a table written here, not read from openapi.yaml: widening an
// operation's x-roles by mistake fails this test until the table is changed too, on purpose.
// And the services check the same roles themselves, for callers that never pass through HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, loadContract, type OperationInfo, type Role } from "../src/core/contract.ts";
import type { UserPrincipal } from "../src/core/principal.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";

/** Who may call what. Change it only together with openapi.yaml, and only on purpose. */
const PINNED: Record<string, "public" | "operator" | "metrics" | readonly Role[] | { stream: readonly Role[] }> = {
  getHealth: "public",
  getReadiness: "public",
  getMetrics: "metrics",
  getOpenApiJson: "public",
  getOpenApiYaml: "public",
  getWidgetLoader: "public",
  getWidgetFrame: "public",
  getWidgetChat: "public",
  createWidgetSession: "public",
  getWidgetSettings: ["admin"],
  updateWidgetSettings: ["admin"],
  rotateWidgetSecret: ["admin"],
  getWidgetAvailability: ["admin", "agent", "user"],
  updateWidgetVisitor: ["user"],
  getWidgetVisitor: ["admin", "agent"],
  signup: "public",
  login: "public",
  refreshTokens: "public",
  logout: "public",
  getMe: ["admin", "agent", "user"],
  requestPasswordReset: "public",
  confirmPasswordReset: "public",
  acceptInvitation: "public",
  createInvitation: ["admin"],
  receiveInboundEmail: "public",
  unsubscribeFromEmail: "public",
  getTenant: ["admin", "agent", "user"],
  updateTenant: ["admin"],
  listUsers: ["admin", "agent"],
  createUser: ["admin"],
  getUser: ["admin", "agent", "user"],
  updateUser: ["admin", "agent", "user"],
  deactivateUser: ["admin"],
  createTicket: ["admin", "agent", "user"],
  listTickets: ["admin", "agent", "user"],
  getTicketStats: ["admin", "agent"],
  bulkUpdateTickets: ["admin", "agent"],
  getTicket: ["admin", "agent", "user"],
  updateTicket: ["admin", "agent", "user"],
  deleteTicket: ["admin"],
  restoreTicket: ["admin"],
  listTicketActivity: ["admin", "agent", "user"],
  getTicketTriage: ["admin", "agent"],
  getTicketSummary: ["admin", "agent", "user"],
  generateTicketSummary: ["admin", "agent", "user"],
  listQaReviews: ["admin", "agent"],
  createQaReview: ["admin", "agent"],
  getQaReview: ["admin", "agent"],
  decideQaReview: ["admin"],
  listComments: ["admin", "agent", "user"],
  createComment: ["admin", "agent", "user"],
  listReadMarkers: ["admin", "agent", "user"],
  markTicketRead: ["admin", "agent", "user"],
  updateComment: ["admin", "agent", "user"],
  deleteComment: ["admin", "agent", "user"],
  createAttachmentUploadUrl: ["admin", "agent", "user"],
  listAttachments: ["admin", "agent", "user"],
  registerAttachment: ["admin", "agent", "user"],
  uploadAttachmentFiles: ["admin", "agent", "user"],
  getAttachment: ["admin", "agent", "user"],
  deleteAttachment: ["admin", "agent", "user"],
  listGroups: ["admin", "agent"],
  createGroup: ["admin"],
  getGroup: ["admin", "agent"],
  updateGroup: ["admin"],
  deleteGroup: ["admin"],
  listRoutingRules: ["admin"],
  createRoutingRule: ["admin"],
  getRoutingRule: ["admin"],
  updateRoutingRule: ["admin"],
  deleteRoutingRule: ["admin"],
  listMacros: ["admin", "agent"],
  createMacro: ["admin"],
  getMacro: ["admin", "agent"],
  updateMacro: ["admin"],
  deleteMacro: ["admin"],
  applyMacro: ["admin", "agent"],
  uploadLocalObject: "public",
  downloadLocalObject: "public",
  listEvents: ["admin"],
  exportTickets: ["admin", "agent", "user"],
  exportEvents: ["admin"],
  getTicketsPerDayReport: ["admin"],
  getResponseTimesReport: ["admin"],
  getBacklogReport: ["admin"],
  listWebhooks: ["admin"],
  createWebhook: ["admin"],
  listWebhookEventTypes: ["admin"],
  getWebhook: ["admin"],
  updateWebhook: ["admin"],
  deleteWebhook: ["admin"],
  rotateWebhookSecret: ["admin"],
  pingWebhook: ["admin"],
  replayWebhook: ["admin"],
  listWebhookDeliveries: ["admin"],
  getWebhookDelivery: ["admin"],
  redeliverWebhookDelivery: ["admin"],
  listApiKeys: ["admin"],
  listSchedules: ["admin", "agent"],
  createSchedule: ["admin"],
  getSchedule: ["admin", "agent"],
  updateSchedule: ["admin"],
  deleteSchedule: ["admin"],
  listSlaPolicies: ["admin", "agent"],
  createSlaPolicy: ["admin"],
  getSlaPolicy: ["admin", "agent"],
  updateSlaPolicy: ["admin"],
  deleteSlaPolicy: ["admin"],
  getSlaAttainment: ["admin"],
  createApiKey: ["admin"],
  revokeApiKey: ["admin"],
  listPlatformTenants: "operator",
  createPlatformTenant: "operator",
  getPlatformTenant: "operator",
  updatePlatformTenant: "operator",
  deletePlatformTenant: "operator",
  createStreamTicket: ["admin", "agent", "user"],
  getStream: { stream: ["admin", "agent", "user"] },
  listNotifications: ["admin", "agent", "user"],
  getUnreadNotificationCount: ["admin", "agent", "user"],
  markAllNotificationsRead: ["admin", "agent", "user"],
  markNotificationRead: ["admin", "agent", "user"],
  deleteNotification: ["admin", "agent", "user"],
  getNotificationPreferences: ["admin", "agent", "user"],
  updateNotificationPreferences: ["admin", "agent", "user"],
  getNotificationDefaults: ["admin"],
  updateNotificationDefaults: ["admin"],
  exportMyNotificationData: ["admin", "agent", "user"],
  eraseMyNotificationData: ["admin", "agent", "user"],
  exportUserNotificationData: ["admin"],
  eraseUserNotificationData: ["admin"],
  getTicketSubscription: ["admin", "agent", "user"],
  setTicketSubscription: ["admin", "agent", "user"],
  deleteTicketSubscription: ["admin", "agent", "user"],
  listHelpCenterCategories: ["admin", "agent", "user"],
  createHelpCenterCategory: ["admin", "agent"],
  getHelpCenterCategory: ["admin", "agent", "user"],
  updateHelpCenterCategory: ["admin", "agent"],
  deleteHelpCenterCategory: ["admin", "agent"],
  listHelpCenterSections: ["admin", "agent", "user"],
  createHelpCenterSection: ["admin", "agent"],
  getHelpCenterSection: ["admin", "agent", "user"],
  updateHelpCenterSection: ["admin", "agent"],
  deleteHelpCenterSection: ["admin", "agent"],
  listHelpCenterArticles: ["admin", "agent", "user"],
  createHelpCenterArticle: ["admin", "agent"],
  getHelpCenterArticle: ["admin", "agent", "user"],
  updateHelpCenterArticle: ["admin", "agent"],
  deleteHelpCenterArticle: ["admin", "agent"],
  publishHelpCenterArticle: ["admin", "agent"],
  unpublishHelpCenterArticle: ["admin", "agent"],
  voteOnHelpCenterArticle: ["admin", "agent", "user"],
  searchHelpCenter: ["admin", "agent", "user"],
  listSuggestedArticles: ["admin", "agent"],
  listPublicHelpCenterCategories: "public",
  listPublicHelpCenterSections: "public",
  listPublicHelpCenterArticles: "public",
  listPopularHelpCenterArticles: "public",
  getPublicHelpCenterArticle: "public",
  votePublicHelpCenterArticle: "public",
  searchPublicHelpCenter: "public",
  suggestPublicHelpCenterArticles: "public",
};

const contract = loadContract();
const operations = [...contract.operations.values()];
let server: TestServer;
let owner: SignedUpTenant;
const tokens = {} as Record<Role, string>;
/** API keys without scopes: everything their role allows, on the operations open to keys. */
const keys = {} as Record<"admin" | "agent", string>;

beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
  tokens.admin = owner.client.tokens.accessToken!;
  tokens.agent = (await addMember(server, owner, "agent")).client.tokens.accessToken!;
  tokens.user = (await addMember(server, owner, "user")).client.tokens.accessToken!;
  for (const role of ["admin", "agent"] as const) keys[role] = (await owner.client.POST("/v1/api-keys", { body: { name: `${role} key`, role } })).data!.secret;
});
afterAll(async () => {
  await server.close();
});

/** Calls the operation with placeholder path ids and an empty body of its type (JSON, or multipart) where it takes one. */
async function call(operation: OperationInfo, token: string | undefined): Promise<Response> {
  const path = operation.path.replace(/\{\w+\}/g, "00000000-0000-4000-8000-000000000000");
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string | undefined;
  if (operation.requestBody) {
    const multipart = operation.requestBody.mediaTypes.includes("multipart/form-data");
    headers["content-type"] = multipart ? "multipart/form-data; boundary=docket" : "application/json";
    body = multipart ? "--docket--\r\n" : "{}";
  }
  return fetch(server.url + path, { method: operation.method, headers, body });
}

describe.each(operations.filter((operation) => operation.authentication === "user"))("$operationId ($method $path)", (operation) => {
  it.each(ROLES.map((role) => ({ role, allowed: operation.roles.includes(role) })))("$role: allowed=$allowed", async ({ role, allowed }) => {
    const response = await call(operation, tokens[role]);
    if (allowed) {
      // Allowed roles get past the role check: a result, a validation error or a 404.
      expect([200, 201, 204, 400, 404, 409]).toContain(response.status);
    } else {
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: "forbidden", status: 403 });
    }
  });

  it("without a token: 401", async () => {
    const response = await call(operation, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
});

describe.each(operations.filter((operation) => operation.authentication === "user"))("$operationId with an API key", (operation) => {
  // A key acts with its role's x-roles, and only where x-scopes is not [] (a person's token only).
  it.each((["admin", "agent"] as const).map((role) => ({ role, allowed: operation.roles.includes(role) && operation.scopes.length > 0 })))(
    "$role key: allowed=$allowed",
    async ({ role, allowed }) => {
      const response = await call(operation, keys[role]);
      if (allowed) expect([200, 201, 204, 400, 404, 409]).toContain(response.status);
      else {
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ code: "forbidden", status: 403 });
      }
    },
  );
});

describe.each(operations.filter((operation) => operation.authentication === "operator"))("$operationId (operator only)", (operation) => {
  it.each(ROLES)("a %s's token: 401", async (role) => {
    expect((await call(operation, tokens[role])).status).toBe(401);
  });
  it("the operator token: allowed", async () => {
    expect([200, 201, 204, 400, 404]).toContain((await call(operation, server.config.platformOperatorToken)).status);
  });
});

describe.each(operations.filter((operation) => operation.authentication === "stream"))("$operationId (WebSocket: stream ticket or subprotocol)", (operation) => {
  it("without credentials: 401, before any upgrade", async () => {
    const response = await call(operation, undefined);
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
  it.each(ROLES.map((role) => ({ role, allowed: operation.roles.includes(role) })))("$role's token as a subprotocol: allowed=$allowed", async ({ role, allowed }) => {
    const response = await fetch(server.url + operation.path, {
      headers: { "sec-websocket-protocol": `docket.v1, docket.bearer.${tokens[role]}` },
    });
    // Past authentication and roles, a plain GET is told to upgrade.
    expect(response.status).toBe(allowed ? 426 : 403);
  });
});

describe("public operations", () => {
  it.each(operations.filter((operation) => operation.authentication === "public"))("$operationId needs no token", async (operation) => {
    expect((await call(operation, undefined)).status).not.toBe(401);
  });
});

describe("the pinned role matrix", () => {
  it("lists exactly the contract's operations", () => {
    expect(operations.map((operation) => operation.operationId).sort()).toEqual(Object.keys(PINNED).sort());
  });

  it.each(operations)("$operationId allows whom the table says", (operation) => {
    const pinned = PINNED[operation.operationId]!;
    if (typeof pinned === "string") expect(operation.authentication).toBe(pinned);
    else if ("stream" in pinned) {
      expect(operation.authentication).toBe("stream");
      expect([...operation.roles].sort()).toEqual([...pinned.stream].sort());
    } else {
      expect(operation.authentication).toBe("user");
      expect([...operation.roles].sort()).toEqual([...pinned].sort());
    }
  });
});

describe("the services check roles themselves (a worker calls them without HTTP)", () => {
  const as = (role: Role): UserPrincipal => ({ kind: "user", tenantId: owner.tenant.id, userId: owner.admin.id, role, sessionId: "00000000-0000-4000-8000-000000000000" });
  const id = "00000000-0000-4000-8000-000000000000";

  it.each([
    ["users.list", ["user"], (p: UserPrincipal) => server.services.users.list(p, {})],
    ["users.create", ["agent", "user"], (p: UserPrincipal) => server.services.users.create(p, { email: `new.${p.role}@example.test`, name: "New", password: "correct horse battery staple", role: "admin" })],
    ["users.deactivate", ["agent", "user"], (p: UserPrincipal) => server.services.users.deactivate(p, id)],
    ["tickets.remove", ["agent", "user"], (p: UserPrincipal) => server.services.tickets.remove(p, id)],
    ["tickets.restore", ["agent", "user"], (p: UserPrincipal) => server.services.tickets.restore(p, id)],
    ["tickets.bulkUpdate", ["user"], (p: UserPrincipal) => server.services.tickets.bulkUpdate(p, { ticketIds: [id], changes: { priority: "low" } })],
    ["tickets.stats", ["user"], (p: UserPrincipal) => server.services.tickets.stats(p)],
    ["events.trail", ["agent", "user"], (p: UserPrincipal) => server.services.events.trail(p, {})],
    ["exports.events", ["agent", "user"], (p: UserPrincipal) => server.services.exports.events(p, {})],
    ["reports.ticketsPerDay", ["agent", "user"], (p: UserPrincipal) => server.services.reports.ticketsPerDay(p, { from: "2026-01-01", to: "2026-01-31" })],
    ["reports.responseTimes", ["agent", "user"], (p: UserPrincipal) => server.services.reports.responseTimes(p, { from: "2026-01-01", to: "2026-01-31" })],
    ["reports.backlog", ["agent", "user"], (p: UserPrincipal) => server.services.reports.backlog(p)],
    ["tenants.updateOwn", ["agent", "user"], (p: UserPrincipal) => server.services.tenants.updateOwn(p, { name: "Taken over" })],
    ["widget.getSettings", ["agent", "user"], (p: UserPrincipal) => server.services.widget.getSettings(p)],
    ["widget.updateSettings", ["agent", "user"], (p: UserPrincipal) => server.services.widget.updateSettings(p, { enabled: true }, "test")],
    ["widget.rotateSecret", ["agent", "user"], (p: UserPrincipal) => server.services.widget.rotateSecret(p, "test")],
    ["widget.getVisitor", ["user"], (p: UserPrincipal) => server.services.widget.getVisitor(p, id)],
  ] as const)("%s refuses %j", async (_name, refused, call) => {
    for (const role of refused) await expect(call(as(role))).rejects.toMatchObject({ status: 403, code: "forbidden" });
  });

  it("platform operations refuse a tenant's user", async () => {
    const admin = as("admin");
    await expect(server.services.platform.list(admin, {})).rejects.toMatchObject({ status: 403 });
    await expect(server.services.platform.get(admin, owner.tenant.id)).rejects.toMatchObject({ status: 403 });
    await expect(server.services.platform.update(admin, owner.tenant.id, { status: "suspended" })).rejects.toMatchObject({ status: 403 });
    await expect(server.services.platform.remove(admin, owner.tenant.id)).rejects.toMatchObject({ status: 403 });
    expect((await owner.client.GET("/v1/tenant")).data?.status).toBe("active");
  });
});
