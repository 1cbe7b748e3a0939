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
 * Builds and packs the SDK into `destination`. It rewrites sdk/dist, so test files (in parallel
 * workers) that pack at the same time would trip over each other: they take turns, holding a lock
 * directory beside sdk/ (mkdir is atomic) while they pack.
 */
export async function packSdk(destination: string): Promise<PackedSdk> {
  const release = await lock(path.join(SDK_DIR, ".pack-lock"));
  try {
    const { stdout } = await exec("npm", ["pack", "--json", "--pack-destination", destination], { cwd: SDK_DIR });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    return { tarball: path.join(destination, packed!.filename), files: packed!.files.map((file) => file.path) };
  } finally {
    release();
  }
}

async function lock(directory: string): Promise<() => void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(directory);
      return () => fs.rmSync(directory, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A lock older than any pack is left over from a killed run.
      const held = fs.statSync(directory, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) fs.rmSync(directory, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${directory} is held for more than 2 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
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
