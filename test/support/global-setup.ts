// Once per test run: a PostgreSQL server (the one DATABASE_URL names, else an embedded one in a
// temporary directory), and a template database with every migration applied. Each test file
// clones the template into a database of its own (see server.ts), so files never see each
// other's rows and nothing needs cleaning up between them.
import "./keep-exit-code.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../src/db/embedded.ts";
import { migrate } from "../../src/db/migrate.ts";
import { buildWidget } from "../../scripts/build-widget.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A URL to the server's maintenance database; test files create their databases through it. */
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

const TEMPLATE = `docket_template_${process.pid}`;

export default async function setup(project: TestProject) {
  // The chat widget's browser code, which the server reads from widget/dist.
  await buildWidget();
  let embedded: EmbeddedDatabase | undefined;
  let embeddedDir: string | undefined;
  let serverUrl: URL;
  if (process.env.DATABASE_URL) {
    serverUrl = new URL(process.env.DATABASE_URL);
  } else {
    embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-test-pg-"));
    embedded = await startEmbeddedPostgres({ dataDir: embeddedDir, port: 55000 + (process.pid % 5000), database: "postgres" });
    serverUrl = new URL(embedded.url);
  }
  const admin = new URL(serverUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${TEMPLATE}"`);
  await client.query(`CREATE DATABASE "${TEMPLATE}"`);
  const template = new URL(serverUrl);
  template.pathname = `/${TEMPLATE}`;
  await migrate(template.toString());

  project.provide("adminDatabaseUrl", admin.toString());
  project.provide("templateDatabase", TEMPLATE);

  return async () => {
    // Drop what the files created (their servers are closed by now), then the template.
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`${TEMPLATE}_%`]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS "${TEMPLATE}" WITH (FORCE)`);
    await client.end();
    await embedded?.stop();
    // Its files too: a run leaves 50 MB to 1 GB behind otherwise, and a few hundred runs fill a disk.
    if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
  };
}
