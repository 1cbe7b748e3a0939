// docker-compose.yml and the Dockerfile, checked against the code they run. No Docker engine runs
// in CI, so these catch what would otherwise surface only at `docker compose up`: a variable the
// config never reads (a typo is silently ignored), a combination it refuses (production without
// PUBLIC_URL for local storage), Node flags that drifted from npm start's, a COPY of a path that
// moved.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

interface Service {
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
}
const compose = parse(read("docker-compose.yml"), { merge: true }) as { services: Record<string, Service> };
const dockerfile = read("Dockerfile");
const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;

/** The Node flags of a command line (npm script, CMD or compose command). */
const flagsOf = (command: string[] | string) => (Array.isArray(command) ? command : command.split(/\s+/)).filter((word) => word.startsWith("--"));
const scriptOf = (command: string[] | string) => (Array.isArray(command) ? command : command.split(/\s+/)).find((word) => word.endsWith(".ts"));

/** The image's CMD, as the exec form's JSON array. */
const imageCommand = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];

/** What the image sets with ENV (NAME=value pairs on ENV lines). */
function imageEnvironment(): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const line of dockerfile.split("\n").filter((text) => text.startsWith("ENV "))) {
    for (const pair of line.slice(4).trim().split(/\s+/)) {
      const [name, value] = pair.split("=");
      environment[name!] = value!;
    }
  }
  return environment;
}

/** Compose's interpolation as `up` would do it with the documented variables set: ${X:?…} gets a secret, ${X:-d} its default. */
function interpolated(value: string): string {
  return String(value)
    .replace(/\$\{(\w+):\?[^}]*\}/g, () => crypto.randomBytes(48).toString("base64"))
    .replace(/\$\{(\w+):-([^}]*)\}/g, (_match, _name, fallback: string) => fallback);
}

const docketServices = Object.entries(compose.services).filter(([, service]) => service.build === ".");

describe("docker-compose.yml", () => {
  it("runs two API instances without workers and one worker, all from this image", () => {
    expect(docketServices.map(([name]) => name).sort()).toEqual(["api-1", "api-2", "worker"]);
    expect(compose.services["api-1"]!.environment!.WORKERS).toBe("false");
    expect(compose.services["api-2"]!.environment!.WORKERS).toBe("false");
  });

  it("gives every Docket service an environment the config accepts, each variable one it reads", () => {
    for (const [name, service] of docketServices) {
      const environment: Record<string, string> = { ...imageEnvironment() };
      for (const [key, value] of Object.entries(service.environment ?? {})) environment[key] = interpolated(value);
      const readNames = new Set<string>();
      const recorded = new Proxy(environment, {
        get(target, key) {
          if (typeof key === "string") readNames.add(key);
          return Reflect.get(target, key);
        },
      });
      const config = loadConfig(recorded, os.tmpdir());
      const unread = Object.keys(environment).filter((key) => !readNames.has(key));
      expect(unread, `${name}: variables nothing reads`).toEqual([]);
      expect(config.storage.driver, name).toBe("s3");
      expect(config.env, name).toBe("production");
      expect(config.trustProxy, name).toBeTruthy();
    }
  });

  it("runs the worker with npm run worker's script and Node flags", () => {
    const worker = compose.services.worker!.command!;
    expect(scriptOf(worker)).toBe(scriptOf(scripts.worker!));
    expect(flagsOf(worker)).toEqual(flagsOf(scripts.worker!));
  });
});

describe("the Dockerfile", () => {
  it("runs the server with npm start's script and Node flags", () => {
    expect(scriptOf(imageCommand)).toBe(scriptOf(scripts.start!));
    expect(flagsOf(imageCommand)).toEqual(flagsOf(scripts.start!));
  });

  it("copies paths that exist", () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => match[1]!.trim().split(/\s+/));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
  });
});
