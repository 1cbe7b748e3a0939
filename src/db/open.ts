// config → a migrated database: the given DATABASE_URL, or the embedded PostgreSQL.
import pg from "pg";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { connectDatabase, type DatabaseHandle } from "./client.ts";
import { migrate } from "./migrate.ts";
import { DatabaseStartError } from "./start-error.ts";


/** The URL without its password, for messages. */
function redacted(url: string): string {
  const parsed = new URL(url);
  parsed.password = "";
  return parsed.toString().replace(/^(\w+:\/\/[^@/]*):@/, "$1@");
}

/** PostgreSQL error codes and socket errors a user fixes in DATABASE_URL or on the server. */
function connectionProblem(error: unknown): string | undefined {
  const { code, message } = error as { code?: string; message?: string };
  const errors = (error as { errors?: Array<{ code?: string }> }).errors;
  const socketCode = code ?? errors?.find((inner) => inner.code)?.code;
  switch (socketCode) {
    case "28P01":
    case "28000":
      return `the server refused the credentials (${message})`;
    case "3D000":
      return `the database does not exist (${message})`;
    case "ECONNREFUSED":
      return "nothing accepts connections there (is PostgreSQL running, and is that its host and port?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the host cannot be reached";
    default:
      return /timeout/i.test(message ?? "") ? "the connection timed out" : undefined;
  }
}

/** One connection before anything else, so a wrong DATABASE_URL is one clear line, not a stack. */
async function checkConnection(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (error) {
    const problem = connectionProblem(error);
    if (problem === undefined) throw error;
    throw new DatabaseStartError(`Cannot connect to the database of DATABASE_URL (${redacted(url)}): ${problem}.`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (url) {
    await checkConnection(url);
  } else {
    const startedAt = performance.now();
    // Loaded only when needed: production images, which always set DATABASE_URL, leave it out.
    const { startEmbeddedPostgres } = await import("./embedded.ts");
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, logger });
    logger.info({ port: config.embeddedPostgresPort, dataDir: config.dataDir, ms: Math.round(performance.now() - startedAt) }, "embedded PostgreSQL started");
    url = embedded.url;
    stopEmbedded = embedded.stop;
  }
  try {
    await migrate(url, logger);
  } catch (error) {
    await stopEmbedded?.();
    throw error;
  }
  const handle = connectDatabase(url, config.database);
  return {
    ...handle,
    async close() {
      await handle.close();
      await stopEmbedded?.();
    },
  };
}

/** For the process entries: the database, or a one-line message saying what to fix and exit 1. */
export async function openDatabaseOrExit(config: Config, logger: Logger): Promise<DatabaseHandle> {
  try {
    return await openDatabase(config, logger);
  } catch (error) {
    if (!(error instanceof DatabaseStartError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
