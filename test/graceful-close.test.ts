// Closing the server while a request is in flight: the request is answered, and the close does
// not then wait out the keep-alive timeout for the connection it leaves idle (a deploy's SIGTERM
// would otherwise end in close-with-grace's kill, with the workers and the pool never closed).
import http from "node:http";
import { describe, expect, it } from "vitest";
import { startServer } from "./support/server.ts";

describe("closing the server", () => {
  it("answers the request in flight, then closes its kept-alive connection instead of waiting for it", async () => {
    const server = await startServer();
    const agent = new http.Agent({ keepAlive: true });
    const received = new Promise((resolve) => server.app.server.once("request", resolve));
    let clientSocket: import("node:net").Socket | undefined;
    const answered = new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const request = http.request(`${server.url}/v1/auth/login`, { method: "POST", agent, headers: { "content-type": "application/json" } }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, type: String(response.headers["content-type"]), body }));
      });
      request.on("socket", (socket) => (clientSocket = socket));
      request.on("error", reject);
      // Half the body now: the request is in flight when the close begins.
      request.write('{"tenantSlug":"nobody-here",');
      void received.then(() => setTimeout(() => request.end('"email":"a@example.com","password":"not the one, surely"}'), 200));
    });
    await received;
    const socketClosed = new Promise<void>((resolve) => clientSocket!.once("close", () => resolve()));
    const closing = server.close();

    const response = await answered;
    expect(response.status).toBe(401);
    expect(response.type).toContain("application/problem+json");
    // Keep-alive was offered, but the server ends the connection rather than keep it for 72 s.
    await socketClosed;
    await closing;
    agent.destroy();
  });
});
