import crypto from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { migrate, readMigrations } from "../src/db/migrate.ts";

let url: string;
let admin: pg.Client;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject("adminDatabaseUrl") });
  await admin.connect();
  const name = `${inject("templateDatabase")}_fresh_${crypto.randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  const target = new URL(inject("adminDatabaseUrl"));
  target.pathname = `/${name}`;
  url = target.toString();
});
afterAll(async () => {
  await admin.end();
});

describe("migrations at start-up", () => {
  it("apply once even when several instances start together, recorded as Prisma records them", async () => {
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const files = readMigrations();
    expect(results.flat().sort()).toEqual(files.map((file) => file.name).sort());

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
      expect(rows).toEqual(
        files.map((file) => ({
          migration_name: file.name,
          checksum: crypto.createHash("sha256").update(file.sql).digest("hex"),
          finished_at: expect.any(Date),
          applied_steps_count: 1,
        })),
      );
      expect(await migrate(url)).toEqual([]);
    } finally {
      await client.end();
    }
  });
});
