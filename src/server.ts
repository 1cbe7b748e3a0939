// The process: configuration → database → services → app (+ workers unless WORKERS=false) →
// listen, and a graceful shutdown on signals.
import closeWithGrace from "close-with-grace";
import { loadConfigOrExit } from "./config.ts";
import { createLogger } from "./logger.ts";
import { openDatabaseOrExit } from "./db/open.ts";
import { createServices } from "./services.ts";
import { startWorkers } from "./workers.ts";
import { buildApp } from "./app.ts";

const config = loadConfigOrExit();

const logger = createLogger({ level: config.logLevel });
const startedAt = performance.now();
const database = await openDatabaseOrExit(config, logger);
const services = createServices({ config, database, logger });
const app = await buildApp({ config, logger, services });
const workers = config.workers ? await startWorkers(services) : undefined;
// Keep-alive a little longer than common load balancers' idle timeout (60 s), so they close first.
app.server.keepAliveTimeout = 65_000;
app.server.headersTimeout = 66_000;

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) logger.error({ err }, "shutting down after an error");
  else logger.info({ signal }, "shutting down");
  await app.close();
  await workers?.stop();
  await services.close();
  await database.close();
});

// A deep accept queue: after an instance dies its thousands of live sockets reconnect at once,
// and Node's default (511) drops the overflow, which then waits out TCP's SYN retransmissions
// (1, 3, 7, 15, 31 s). The kernel caps it at net.core.somaxconn.
await app.listen({ host: config.host, port: config.port, backlog: 4096 });
logger.info(
  { url: `http://${config.host === "0.0.0.0" ? "localhost" : config.host}:${config.port}`, docs: "/docs", workers: config.workers, ms: Math.round(performance.now() - startedAt) },
  "Docket is listening",
);
