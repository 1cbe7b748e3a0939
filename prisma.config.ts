// Prisma CLI configuration (Prisma 7 reads the datasource URL from here, not from the schema).
// The app itself never uses the CLI: it applies migrations at start (src/db/migrate.ts).
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres:postgres@127.0.0.1:5432/docket" },
});
