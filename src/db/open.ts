// config → a migrated database: the given DATABASE_URL, or the embedded PostgreSQL.
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { connectDatabase, type DatabaseHandle } from "./client.ts";
import { migrate } from "./migrate.ts";

export async function openDatabase(config: Config, logger: Logger): Promise<DatabaseHandle> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!url) {
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
  const handle = connectDatabase(url, { idleInTransactionTimeoutSeconds: config.idleInTransactionTimeoutSeconds });
  return {
    ...handle,
    async close() {
      await handle.close();
      await stopEmbedded?.();
    },
  };
}
