// `npm run generate`: everything generated from a source of truth, written into the tree and
// committed: the Prisma client (from prisma/schema.prisma), and from openapi.yaml the contract
// types of the SDK and the contract as JSON for the server to load (src/core/contract.ts). `npm run check:generated` regenerates and fails on any difference.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONTRACT_JSON_PATH, writeContractJson } from "./contract-json.ts";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

// `prisma generate` needs no schema engine, but the CLI insists on one being present. Where it
// cannot be downloaded (offline machines), point it at a stub; elsewhere Prisma fetches its own.
const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && process.env.PRISMA_OFFLINE !== "0") {
  const stub = path.join(os.tmpdir(), "docket-prisma-engine-stub");
  fs.writeFileSync(stub, "#!/bin/sh\necho 'schema engine not needed for generate' >&2\nexit 1\n", { mode: 0o755 });
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";

execFileSync(bin("prisma"), ["generate"], { cwd: root, env, stdio: ["ignore", "ignore", "inherit"] });
console.log("generated src/generated/prisma (Prisma client)");
execFileSync(bin("openapi-typescript"), ["openapi.yaml", "--output", "sdk/schema.ts"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
console.log("generated sdk/schema.ts (contract types)");
writeContractJson();
console.log(`generated ${CONTRACT_JSON_PATH.slice(root.length + 1)} (the contract as JSON)`);
