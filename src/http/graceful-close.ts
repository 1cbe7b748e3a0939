// A graceful close that does not wait out keep-alive. Node's server.close() (and Fastify's
// 'idle' default) closes the connections idle at that instant, once; a request still in flight
// then finishes, its connection is re-armed for keepAliveTimeout (65 s in server.ts), and
// app.close() waits for it. close-with-grace kills the process at 10 s, so the workers, the
// services and the pool would never close cleanly (fastify/fastify#7044). While the app closes,
// sweep the idle connections until the server has none left.
import type { FastifyInstance } from "fastify";

const SWEEP_EVERY_MS = 50;

export function registerGracefulClose(app: FastifyInstance): void {
  app.addHook("preClose", function (this: FastifyInstance, done) {
    const server = this.server;
    if (!server.listening) return done();
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_EVERY_MS).unref();
    server.once("close", () => clearInterval(sweep));
    done();
  });
}
