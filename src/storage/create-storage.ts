// Picks the driver from configuration: `s3` when a bucket is configured, else `local`.
import path from "node:path";
import type { Config, S3Config } from "../config.ts";
import { createLocalStorage, type LocalStorage } from "./local-storage.ts";
import type { ObjectStorage } from "./object-storage.ts";

export function createStorage(config: Config): ObjectStorage | LocalStorage {
  const storage = config.storage;
  if (storage.driver === "s3") return s3StorageLoadedApart(storage.s3);
  // The JWT secret is the root secret; the signer derives a key of its own from it.
  return createLocalStorage({ root: path.join(config.dataDir, "attachments"), signingSecret: config.jwtSecret });
}

export function isLocalStorage(storage: ObjectStorage): storage is LocalStorage {
  return storage.driver === "local";
}

/**
 * The AWS SDK costs a process about 13 MiB, so only an `s3` configuration loads it: the import
 * starts now, in the background, and each call waits for it (only the first can find it unfinished).
 */
function s3StorageLoadedApart(config: S3Config): ObjectStorage {
  const loading = import("./s3-storage.ts").then((module) => module.createS3Storage(config));
  loading.catch(() => {}); // reported by the first call that needs it, not as an unhandled rejection
  return {
    driver: "s3",
    presignUpload: async (...args) => (await loading).presignUpload(...args),
    presignDownload: async (...args) => (await loading).presignDownload(...args),
    head: async (...args) => (await loading).head(...args),
    readStart: async (...args) => (await loading).readStart(...args),
    write: async (...args) => (await loading).write(...args),
    move: async (...args) => (await loading).move(...args),
    remove: async (...args) => (await loading).remove(...args),
  };
}
