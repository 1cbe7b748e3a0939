// The SDK as another project gets it: `npm pack` in sdk/ (whose prepack script builds dist/ with
// tsc), then `npm install` of that tarball into a fresh project outside this repository, so
// nothing resolves from the server's node_modules.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);
export const SDK_DIR = path.resolve(import.meta.dirname, "../../sdk");

export interface PackedSdk {
  tarball: string;
  /** Paths inside the tarball, as npm lists them. */
  files: string[];
}

/**
 * Builds and packs the SDK into `destination`. It rewrites sdk/dist, so test files that pack at
 * the same time would trip over each other: one file packs, others reuse its tarball.
 */
export async function packSdk(destination: string): Promise<PackedSdk> {
  const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", destination], { cwd: SDK_DIR });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: path.join(destination, packed!.filename), files: packed!.files.map((file) => file.path) };
}

/**
 * A new ESM project in `projectDir` with the tarball installed. The registry is only asked for
 * what npm's cache lacks (openapi-fetch is there whenever this repository was installed).
 */
export async function installSdk(tarball: string, projectDir: string): Promise<void> {
  fs.mkdirSync(projectDir, { recursive: true });
  fs.writeFileSync(path.join(projectDir, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true, type: "module" }));
  await exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: projectDir });
}
