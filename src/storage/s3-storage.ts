// The `s3` driver: AWS S3 or any S3-compatible store (MinIO, R2, Ceph…). Browsers upload
// straight to the bucket with a presigned PUT whose signature covers the content type and length,
// so S3 itself refuses any other; the API never sees those bytes.
import type { Readable } from "node:stream";
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { Upload } from "@aws-sdk/lib-storage";
import type { S3Config } from "../config.ts";
import type { DownloadOptions, ObjectStorage, PresignedRequest, StoredObject, UploadConstraints } from "./object-storage.ts";
import { attachmentDisposition } from "./content-disposition.ts";

// A multipart upload through the API holds one part in memory at a time (S3's minimum is 5 MiB).
const PART_SIZE = 5 * 1024 * 1024;

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === "NotFound" || error.name === "NoSuchKey");
}

export function createS3Storage(config: S3Config): ObjectStorage {
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Absent: the SDK's default chain (environment, shared files, instance or task role).
    credentials: config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined,
  });
  const Bucket = config.bucket;

  return {
    driver: "s3",

    async presignUpload(key: string, constraints: UploadConstraints): Promise<PresignedRequest> {
      const command = new PutObjectCommand({ Bucket, Key: key, ContentType: constraints.contentType, ContentLength: constraints.size });
      const url = await getSignedUrl(client, command, { expiresIn: constraints.expiresInSeconds, signableHeaders: new Set(["content-type", "content-length"]) });
      return { url, method: "PUT", headers: { "content-type": constraints.contentType }, expiresAt: new Date(Date.now() + constraints.expiresInSeconds * 1000) };
    },

    async presignDownload(key: string, download: DownloadOptions): Promise<PresignedRequest> {
      const command = new GetObjectCommand({ Bucket, Key: key, ResponseContentDisposition: attachmentDisposition(download.filename), ResponseContentType: download.contentType });
      const url = await getSignedUrl(client, command, { expiresIn: download.expiresInSeconds });
      return { url, method: "GET", headers: {}, expiresAt: new Date(Date.now() + download.expiresInSeconds * 1000) };
    },

    async head(key: string): Promise<StoredObject | undefined> {
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: head.ContentLength ?? 0, contentType: head.ContentType };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async readStart(key: string, length: number): Promise<Buffer> {
      const object = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=0-${length - 1}` }));
      const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      return bytes.subarray(0, length);
    },

    async write(key: string, body: Readable, contentType: string): Promise<void> {
      const upload = new Upload({ client, params: { Bucket, Key: key, Body: body, ContentType: contentType }, partSize: PART_SIZE, queueSize: 1, leavePartsOnError: false });
      await upload.done();
    },

    /** S3 has no rename: a server-side copy (metadata and type kept), then the source deleted. */
    async move(from: string, to: string): Promise<void> {
      await client.send(new CopyObjectCommand({ Bucket, Key: to, CopySource: `${Bucket}/${encodeURI(from)}`, MetadataDirective: "COPY" }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: from }));
    },

    async remove(key: string): Promise<void> {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
  };
}
