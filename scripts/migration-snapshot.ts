// The schema each migration leads to is kept beside its SQL (see scripts/db-migration.ts).
import fs from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR } from "../src/db/migrate.ts";

export const SCHEMA_PATH = path.resolve(import.meta.dirname, "../prisma/schema.prisma");
export const SNAPSHOT_FILE = "schema.prisma";

/** The schema as of the newest migration, or undefined when there is none yet. */
export function latestMigrationSchema(): string | undefined {
  if (!fs.existsSync(MIGRATIONS_DIR)) return undefined;
  const newest = fs
    .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .at(-1);
  return newest === undefined ? undefined : fs.readFileSync(path.join(MIGRATIONS_DIR, newest, SNAPSHOT_FILE), "utf8");
}

/** The schema without comments and layout: what a migration has to follow; comments do not. */
export function schemaSubstance(schema: string): string {
  return schema
    .split("\n")
    .map((line) => line.replace(/\/\/.*$/, "").trim().replace(/\s+/g, " "))
    .filter(Boolean)
    .join("\n");
}
