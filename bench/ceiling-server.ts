// The ceiling: the least a server can do to answer GET /v1/tickets/{ticketId} with this stack.
// Bare Fastify (no auth, no validation, no hooks, no logging), node-postgres with the app's pool
// size, and the single-row query as a named prepared statement (as the API runs its own: parsed
// and planned once per connection); what the API's throughput is measured against.
// Env: PORT, DATABASE_URL, TENANT_ID.
import Fastify from "fastify";
import pg from "pg";

const { PORT, DATABASE_URL, TENANT_ID } = process.env;
if (!PORT || !DATABASE_URL || !TENANT_ID) throw new Error("PORT, DATABASE_URL and TENANT_ID are required");

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
pool.on("error", () => {});
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>("/tickets/:id", async (request, reply) => {
  const { rows } = await pool.query({ name: "ceiling-ticket", text: `SELECT * FROM "Ticket" WHERE "tenantId" = $1 AND id = $2`, values: [TENANT_ID, request.params.id] });
  if (rows.length === 0) return reply.status(404).send({ error: "not found" });
  return rows[0];
});
app.get("/healthz", async () => ({ status: "ok" }));

const stop = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);

await app.listen({ host: "127.0.0.1", port: Number(PORT) });
