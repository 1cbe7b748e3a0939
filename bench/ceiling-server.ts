// The ceilings: the least a server can do with this stack to answer GET /v1/tickets/{ticketId},
// and to make the rows of a ticket's creation, a comment and an update. Bare Fastify (no auth, no
// validation, no hooks, no logging), node-postgres with the app's pool size, every statement a
// named prepared one (as the API runs its own: parsed and planned once per connection); what the
// API's throughput is measured against.
// - POST /tickets: one transaction: the tenant's counter, the ticket, its event.
// - POST /tickets/:id/comments: the comment, its event, the ticket's version.
// - PATCH /tickets/:id: the ticket's priority and version, its event.
// Env: PORT, DATABASE_URL, TENANT_ID, USER_ID (the requester and the events' actor).
import Fastify, { type FastifyReply, type FastifyRequest, type RouteGenericInterface } from "fastify";
import pg from "pg";

const { PORT, DATABASE_URL, TENANT_ID, USER_ID } = process.env;
if (!PORT || !DATABASE_URL || !TENANT_ID || !USER_ID) throw new Error("PORT, DATABASE_URL, TENANT_ID and USER_ID are required");

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
pool.on("error", () => {});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>("/tickets/:id", async (request, reply) => {
  const { rows } = await pool.query({ name: "ceiling-ticket", text: `SELECT * FROM "Ticket" WHERE "tenantId" = $1 AND id = $2`, values: [TENANT_ID, request.params.id] });
  if (rows.length === 0) return reply.status(404).send({ error: "not found" });
  return rows[0];
});
/** Runs `work` in one transaction on one connection of the pool. */
async function transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

const appendEvent = (client: pg.PoolClient, type: string, entityType: string, entityId: string, ticketId: string, after: object) =>
  client.query({
    name: "ceiling-event",
    text: `INSERT INTO "Event" ("tenantId", id, type, "actorType", "actorId", "entityType", "entityId", "ticketId", after) VALUES ($1, uuidv7(), $2, 'user', $3, $4, $5, $6, $7)`,
    values: [TENANT_ID, type, USER_ID, entityType, entityId, ticketId, JSON.stringify(after)],
  });

/** A write route: `work` in one transaction, its row sent with `status` (404 when there is none). */
function write<Route extends RouteGenericInterface>(status: number, work: (client: pg.PoolClient, request: FastifyRequest<Route>) => Promise<object | undefined>) {
  return async (request: FastifyRequest<Route>, reply: FastifyReply) => {
    const row = await transaction((client) => work(client, request));
    if (!row) return reply.status(404).send({ error: "not found" });
    return reply.status(status).send(row);
  };
}

app.post("/tickets", write<{ Body: { title: string; description?: string } }>(201, async (client, request) => {
  const { rows: counter } = await client.query({ name: "ceiling-counter", text: `UPDATE "Tenant" SET "lastTicketNumber" = "lastTicketNumber" + 1 WHERE id = $1 RETURNING "lastTicketNumber"`, values: [TENANT_ID] });
  const { rows } = await client.query({
    name: "ceiling-create",
    text: `INSERT INTO "Ticket" ("tenantId", id, number, title, description, "requesterId", "updatedAt") VALUES ($1, uuidv7(), $2, $3, $4, $5, now()) RETURNING *`,
    values: [TENANT_ID, counter[0].lastTicketNumber, request.body.title, request.body.description ?? "", USER_ID],
  });
  await appendEvent(client, "ticket.created", "ticket", rows[0].id, rows[0].id, { number: rows[0].number, title: rows[0].title, status: rows[0].status, priority: rows[0].priority });
  return rows[0];
}));

app.post("/tickets/:id/comments", write<{ Params: { id: string }; Body: { body: string } }>(201, async (client, request) => {
  const { rows } = await client.query({
    name: "ceiling-comment",
    text: `INSERT INTO "Comment" ("tenantId", id, "ticketId", "authorId", body, "updatedAt") VALUES ($1, uuidv7(), $2, $3, $4, now()) RETURNING *`,
    values: [TENANT_ID, request.params.id, USER_ID, request.body.body],
  });
  await appendEvent(client, "comment.created", "comment", rows[0].id, request.params.id, { internal: false });
  await client.query({ name: "ceiling-bump", text: `UPDATE "Ticket" SET version = version + 1, "updatedAt" = now() WHERE "tenantId" = $1 AND id = $2`, values: [TENANT_ID, request.params.id] });
  return rows[0];
}));

app.patch("/tickets/:id", write<{ Params: { id: string }; Body: { priority: string } }>(200, async (client, request) => {
  const { rows } = await client.query({
    name: "ceiling-update",
    text: `UPDATE "Ticket" SET priority = $3, version = version + 1, "updatedAt" = now() WHERE "tenantId" = $1 AND id = $2 RETURNING *`,
    values: [TENANT_ID, request.params.id, request.body.priority],
  });
  if (rows.length === 0) return undefined;
  await appendEvent(client, "ticket.updated", "ticket", rows[0].id, rows[0].id, { priority: rows[0].priority });
  return rows[0];
}));

app.get("/healthz", async () => ({ status: "ok" }));

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

await app.listen({ host: "127.0.0.1", port: Number(PORT) });
