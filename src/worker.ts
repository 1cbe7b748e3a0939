// The workers alone, without HTTP: `npm run worker`, for scaling background work apart from the
// API (which then runs with WORKERS=false).
import closeWithGrace from "close-with-grace";
import { loadConfigOrExit } from "./config.ts";
import { createLogger } from "./logger.ts";
import { openDatabaseOrExit } from "./db/open.ts";
import { createServices } from "./services.ts";
import { startWorkers } from "./workers.ts";

const config = loadConfigOrExit();

const logger = createLogger({ level: config.logLevel });
const database = await openDatabaseOrExit(config, logger);
const services = createServices({ config, database, logger });
const workers = await startWorkers(services);
logger.info({}, "Docket workers are running");

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "shutting down after an error");
  else logger.info({ signal }, "shutting down");
  await workers.stop();
  await services.close();
  await database.close();
});
// Timers are unref'd; this keeps the process alive until a signal.
setInterval(() => {}, 1 << 30);
