// Picks the driver from configuration: `s3` when a bucket is configured, else `local`.
import path from "node:path";
import type { Config } from "../config.ts";
import { createLocalStorage, type LocalStorage } from "./local-storage.ts";
import type { ObjectStorage } from "./object-storage.ts";
import { createS3Storage } from "./s3-storage.ts";

export function createStorage(config: Config): ObjectStorage | LocalStorage {
  const storage = config.storage;
  if (storage.driver === "s3") return createS3Storage(storage.s3);
  // The JWT secret is the root secret; the signer derives a key of its own from it.
  return createLocalStorage({ root: path.join(config.dataDir, "attachments"), signingSecret: config.jwtSecret });
}

export function isLocalStorage(storage: ObjectStorage): storage is LocalStorage {
  return storage.driver === "local";
}
