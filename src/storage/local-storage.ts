// The `local` driver: objects are files under <dataDir>/attachments, and its presigned URLs point
// at two public routes of the API (uploadLocalObject, downloadLocalObject) that check the token
// and stream the bytes, so a client does exactly what it would do against S3 (the way Rails'
// disk service mirrors its S3 service).
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isStorageKey } from "./object-key.ts";
import type { DownloadOptions, ObjectStorage, Origin, PresignedRequest, StoredObject, UploadConstraints } from "./object-storage.ts";
import { TokenSigner, type SignedGrant } from "./signed-token.ts";

/** Thrown by the local driver's write when the key holds an object already. */
export class ObjectExistsError extends Error {
  constructor(key: string) {
    super(`object ${key} exists already`);
    this.name = "ObjectExistsError";
  }
}

export const LOCAL_OBJECTS_PATH = "/v1/local-storage/objects";

export interface LocalStorageOptions {
  /** The directory objects live in; created when missing. */
  root: string;
  signingSecret: string;
}

export interface LocalStorage extends ObjectStorage {
  readonly driver: "local";
  /** Checks a token of a presigned URL (403 when tampered with or expired). */
  verify<M extends SignedGrant["method"]>(token: string, method: M): Extract<SignedGrant, { method: M }>;
  /** A read stream of an object, or undefined when there is none. */
  openRead(key: string): Promise<{ stream: Readable; size: number } | undefined>;
}

/** Type and size are kept beside each object, as S3 keeps them as object metadata. */
interface Sidecar {
  contentType: string;
}

export function createLocalStorage(options: LocalStorageOptions): LocalStorage {
  const root = path.resolve(options.root);
  const signer = new TokenSigner(options.signingSecret);

  /** The file of a key; refuses anything that is not a well-formed key inside the root. */
  function fileOf(key: string): string {
    const file = path.resolve(root, key);
    if (!isStorageKey(key) || !file.startsWith(root + path.sep)) throw new Error(`refusing object key ${JSON.stringify(key)}`);
    return file;
  }

  function urlOf(origin: Origin, grant: SignedGrant): string {
    return `${origin}${LOCAL_OBJECTS_PATH}?token=${signer.sign(grant)}`;
  }

  return {
    driver: "local",

    async presignUpload(key: string, constraints: UploadConstraints, origin: Origin): Promise<PresignedRequest> {
      fileOf(key);
      const expiresAt = Date.now() + constraints.expiresInSeconds * 1000;
      const grant: SignedGrant = { method: "PUT", key, expiresAt, contentType: constraints.contentType, size: constraints.size };
      return { url: urlOf(origin, grant), method: "PUT", headers: { "content-type": constraints.contentType }, expiresAt: new Date(expiresAt) };
    },

    async presignDownload(key: string, download: DownloadOptions, origin: Origin): Promise<PresignedRequest> {
      fileOf(key);
      const expiresAt = Date.now() + download.expiresInSeconds * 1000;
      const grant: SignedGrant = { method: "GET", key, expiresAt, contentType: download.contentType, filename: download.filename };
      return { url: urlOf(origin, grant), method: "GET", headers: {}, expiresAt: new Date(expiresAt) };
    },

    verify: (token, method) => signer.verify(token, method),

    async head(key: string): Promise<StoredObject | undefined> {
      const file = fileOf(key);
      try {
        const [stat, sidecar] = await Promise.all([fsp.stat(file), fsp.readFile(`${file}.meta.json`, "utf8")]);
        return { size: stat.size, contentType: (JSON.parse(sidecar) as Sidecar).contentType };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },

    async readStart(key: string, length: number): Promise<Buffer> {
      const handle = await fsp.open(fileOf(key), "r");
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },

    async openRead(key: string) {
      const file = fileOf(key);
      try {
        const stat = await fsp.stat(file);
        return { stream: fs.createReadStream(file), size: stat.size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },

    /**
     * Written to a temporary name, then linked into place: a reader never sees half an object, and
     * an object is written once (a second writer, even a concurrent one, gets ObjectExistsError).
     */
    async write(key: string, body: Readable, contentType: string): Promise<void> {
      const file = fileOf(key);
      await fsp.mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${crypto.randomBytes(6).toString("hex")}.partial`;
      try {
        await pipeline(body, fs.createWriteStream(partial, { flags: "wx" }));
        await fsp.writeFile(`${file}.meta.json`, JSON.stringify({ contentType } satisfies Sidecar));
        await fsp.link(partial, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new ObjectExistsError(key);
        throw error;
      } finally {
        await fsp.rm(partial, { force: true });
      }
    },

    /** A rename: atomic, so the bytes moved are exactly those there at that instant. */
    async move(from: string, to: string): Promise<void> {
      const source = fileOf(from);
      const target = fileOf(to);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(source, target);
      await fsp.rename(`${source}.meta.json`, `${target}.meta.json`);
    },

    async remove(key: string): Promise<void> {
      const file = fileOf(key);
      await fsp.rm(file, { force: true });
      await fsp.rm(`${file}.meta.json`, { force: true });
    },
  };
}
