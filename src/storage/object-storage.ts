// The one storage interface attachments talk to (DESIGN.md, principle 4). Two drivers implement
// it: `s3` (AWS S3 and S3-compatible stores) and `local` (files under the data directory, with
// URLs the API signs and serves itself). Both give clients the same flow: ask for a presigned
// URL, send the bytes there, then tell the API.
import type { Readable } from "node:stream";

/** A request the client makes itself, straight to the store. */
export interface PresignedRequest {
  url: string;
  method: "PUT" | "GET";
  /** Headers the client must send with it (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface UploadConstraints {
  contentType: string;
  /** Exact byte count; the store refuses any other. */
  size: number;
  expiresInSeconds: number;
}

export interface DownloadOptions {
  /** Served as `Content-Disposition: attachment`, so the browser saves rather than renders it. */
  filename: string;
  contentType: string;
  expiresInSeconds: number;
}

export interface StoredObject {
  size: number;
  contentType: string | undefined;
}

/**
 * Where URLs of the local driver point: the API's own origin as the client reached it
 * (e.g. `https://docket.example.com`). The S3 driver ignores it.
 */
export type Origin = string;

export interface ObjectStorage {
  readonly driver: "local" | "s3";
  presignUpload(key: string, constraints: UploadConstraints, origin: Origin): Promise<PresignedRequest>;
  presignDownload(key: string, options: DownloadOptions, origin: Origin): Promise<PresignedRequest>;
  /** Size and type of a stored object; undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
  /** Up to `length` bytes from the start of an object (to check its magic numbers). */
  readStart(key: string, length: number): Promise<Buffer>;
  /** Streams bytes into the store; a stream that errors leaves nothing behind. */
  write(key: string, body: Readable, contentType: string): Promise<void>;
  /**
   * Moves an object to another key (type kept); the source is gone afterwards. Registration uses
   * it to take an upload out of reach of its presigned URL.
   */
  move(from: string, to: string): Promise<void>;
  /** Deleting a missing object is not an error. */
  remove(key: string): Promise<void>;
}
