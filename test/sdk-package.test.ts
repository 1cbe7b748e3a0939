// The SDK as a frontend team installs it: packed by npm, installed from the tarball into a project
// outside this repository, used from plain JavaScript against a real server, and type-checked from
// TypeScript against the package's own declarations. It must carry nothing of the server.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./support/server.ts";
import { uniqueSlug, PASSWORD } from "./support/fixtures.ts";
import { installSdk, packSdk, type PackedSdk } from "./support/sdk-package.ts";

const exec = promisify(execFile);
const TSC = path.resolve(import.meta.dirname, "../node_modules/typescript/bin/tsc");

let server: TestServer;
let workDir: string;
let consumer: string;
let packed: PackedSdk;

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "docket-sdk-package-"));
  consumer = path.join(workDir, "consumer");
  [server, packed] = await Promise.all([startServer(), packSdk(workDir)]);
  await installSdk(packed.tarball, consumer);
}, 120_000);

afterAll(async () => {
  await server?.close();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

const installed = () => path.join(consumer, "node_modules/@docket/sdk");

describe("the packed SDK", () => {
  it("holds only the built JavaScript, its declarations and its manifest", () => {
    expect(packed.files).toContain("dist/index.js");
    expect(packed.files).toContain("dist/index.d.ts");
    for (const file of packed.files) {
      expect(file === "package.json" || file.startsWith("dist/"), file).toBe(true);
      // TypeScript source (of the server or the SDK) would not run from node_modules.
      if (file.endsWith(".ts")) expect(file, file).toMatch(/\.d\.ts$/);
    }
  });

  it("depends on openapi-fetch alone, so installing it brings none of the server's packages", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(installed(), "package.json"), "utf8")) as Record<string, unknown>;
    expect(Object.keys(manifest.dependencies as object)).toEqual(["openapi-fetch"]);
    expect(manifest.exports).toMatchObject({ ".": { types: "./dist/index.d.ts", import: "./dist/index.js" } });
    const lock = JSON.parse(fs.readFileSync(path.join(consumer, "node_modules/.package-lock.json"), "utf8")) as { packages: Record<string, unknown> };
    expect(Object.keys(lock.packages).sort()).toEqual(["node_modules/@docket/sdk", "node_modules/openapi-fetch", "node_modules/openapi-typescript-helpers"]);
  });

  it("imports nothing but openapi-fetch and its own files, and no Node-only API: it runs in a browser", () => {
    const scripts = fs.readdirSync(path.join(installed(), "dist")).filter((file) => file.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const source = fs.readFileSync(path.join(installed(), "dist", file), "utf8");
      const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)].map((match) => match[1]!);
      for (const specifier of specifiers) expect(specifier === "openapi-fetch" || specifier.startsWith("./"), `${file} imports ${specifier}`).toBe(true);
      expect(source, file).not.toContain("node:");
      expect(source, file).not.toMatch(/\b(?:require\s*\(|process\.|Buffer\b|__dirname)/);
    }
  });
});

describe("another project using the installed SDK", () => {
  it("signs up, creates a ticket and resumes its session from the tokens it persisted, from plain JavaScript", async () => {
    const script = path.join(consumer, "use-sdk.mjs");
    fs.writeFileSync(
      script,
      `import { createDocketClient } from "@docket/sdk";
const [baseUrl, slug, password] = process.argv.slice(2);
let saved = null;
const docket = createDocketClient({ baseUrl, onTokens: (tokens) => (saved = tokens) });
const signup = await docket.POST("/v1/auth/signup", {
  body: { tenantName: "Package Co", tenantSlug: slug, name: "Ada Admin", email: "ada@" + slug + ".test", password },
});
const created = await docket.POST("/v1/tickets", { body: { title: "Printer on fire" } });
// A page reload: a new client from the persisted tokens.
const resumed = createDocketClient({ baseUrl, ...saved });
const read = await resumed.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId: created.data.id } } });
console.log(JSON.stringify({
  signup: signup.response.status,
  created: created.response.status,
  read: read.response.status,
  ticket: read.data,
  persisted: Object.keys(saved ?? {}).sort(),
}));
`,
    );
    const slug = uniqueSlug("pkg");
    const { stdout } = await exec(process.execPath, [script, server.url, slug, PASSWORD], { cwd: consumer });
    const result = JSON.parse(stdout) as { signup: number; created: number; read: number; ticket: Record<string, unknown>; persisted: string[] };
    expect(result).toMatchObject({ signup: 201, created: 201, read: 200, persisted: ["accessToken", "refreshToken"] });
    expect(result.ticket).toMatchObject({ number: 1, title: "Printer on fire", status: "open" });
  });

  it("type-checks a correct call against the package's declarations and rejects a wrong field", async () => {
    fs.writeFileSync(
      path.join(consumer, "tsconfig.json"),
      // A browser project: DOM types, no Node types, and the library's declarations checked too.
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2022", "DOM"], types: [], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false },
        files: ["good.ts", "bad.ts"],
      }),
    );
    fs.writeFileSync(
      path.join(consumer, "good.ts"),
      `import { createDocketClient, createLiveClient, type LiveEvent, type Schemas } from "@docket/sdk";
const docket = createDocketClient({ baseUrl: "http://localhost:3000", onTokens: (tokens) => localStorage.setItem("docket", JSON.stringify(tokens)) });
const { data, error } = await docket.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId: crypto.randomUUID() } } });
const ticket: Schemas["Ticket"] | undefined = data;
const title: string | undefined = data?.title;
console.log(ticket, title, error?.status);
const live = createLiveClient(docket);
live.subscribe({ kind: "ticket", ticketId: crypto.randomUUID() }, { onEvent: (event: LiveEvent) => console.log(event.type, event.ticketId) });
live.on("presence", (message) => console.log(message.viewers.map((viewer) => viewer.userId)));
`,
    );
    fs.writeFileSync(
      path.join(consumer, "bad.ts"),
      `import { createDocketClient, createLiveClient } from "@docket/sdk";
const docket = createDocketClient({ baseUrl: "http://localhost:3000" });
await docket.GET("/v1/tickets/{ticketId}", { params: { path: { ticketID: "42" } } });
const { data } = await docket.GET("/v1/tickets/{ticketId}", { params: { path: { ticketId: "42" } } });
console.log(data?.titel);
createLiveClient(docket).subscribe({ kind: "tickets" }, { onEvent: () => {} });
`,
    );
    const output = await exec(process.execPath, [TSC, "-p", consumer], { cwd: consumer }).then(
      () => "",
      (failure: { stdout: string }) => failure.stdout,
    );
    const errors = output.split("\n").filter((line) => /error TS\d+/.test(line));
    expect(errors.filter((line) => !line.startsWith("bad.ts")), output).toEqual([]);
    expect(errors).toEqual([
      expect.stringMatching(/^bad\.ts\(3,\d+\): error TS\d+: .*'ticketID' does not exist/),
      expect.stringMatching(/^bad\.ts\(5,\d+\): error TS\d+: Property 'titel' does not exist/),
      expect.stringMatching(/^bad\.ts\(6,\d+\): error TS\d+: .*"tickets"/),
    ]);
  }, 120_000); // a whole tsc run: 10 s on a quiet 2-core machine, far longer on a busy one
});
