// CI's drift check: generated code must match its sources, and the schema its migrations.
// Regenerates in place, then asks git whether anything changed.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { latestMigrationSchema, schemaSubstance, SCHEMA_PATH } from "./migration-snapshot.ts";

const root = path.resolve(import.meta.dirname, "..");
const failures: string[] = [];

const latest = latestMigrationSchema();
if (latest === undefined || schemaSubstance(latest) !== schemaSubstance(fs.readFileSync(SCHEMA_PATH, "utf8"))) {
  failures.push("prisma/schema.prisma differs from the schema of the latest migration: run `npm run db:migration -- <name>`.");
}

execFileSync(process.execPath, [path.join(root, "scripts/generate.ts")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const drift = execFileSync("git", ["status", "--porcelain", "--", "src/generated", "sdk/schema.ts"], { cwd: root, encoding: "utf8" }).trim();
if (drift) failures.push(`generated code is stale; run \`npm run generate\` and commit:\n${drift}`);

if (failures.length > 0) {
  console.error(failures.join("\n"));
  process.exit(1);
}
console.log("generated code and migrations are up to date");
