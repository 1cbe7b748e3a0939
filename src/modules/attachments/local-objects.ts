// The two public routes behind the local driver's presigned URLs: they check the signed token
// (403 when altered or expired), then stream bytes to or from disk, enforcing what was signed:
// exactly this content type and this many bytes on the way in, and on the way out the recorded
// type as a download that browsers never render.
import { Readable } from "node:stream";
import { Problem, problems } from "../../core/problem.ts";
import { attachmentDisposition } from "../../storage/content-disposition.ts";
import { isLocalStorage } from "../../storage/create-storage.ts";
import { ObjectExistsError } from "../../storage/local-storage.ts";
import { attachmentKeyOfUpload, isUploadKey } from "../../storage/object-key.ts";
import type { ObjectStorage } from "../../storage/object-storage.ts";
import { mediaTypeOf } from "./content-type.ts";

export interface IncomingUpload {
  contentType: string | undefined;
  contentLength: string | undefined;
  body: Readable;
}

export interface OutgoingDownload {
  headers: Record<string, string>;
  body: Readable;
}

export function createLocalObjectService(storage: ObjectStorage) {
  function local() {
    if (!isLocalStorage(storage)) throw problems.notFound("local storage", "(this server stores attachments in S3)");
    return storage;
  }

  return {
    async receive(token: string, upload: IncomingUpload): Promise<void> {
      const disk = local();
      const grant = disk.verify(token, "PUT");
      if (mediaTypeOf(upload.contentType) !== grant.contentType) {
        throw new Problem(403, "signed_url_invalid", "Invalid signed URL", `This URL was signed for Content-Type ${grant.contentType}; send exactly that.`);
      }
      const declared = upload.contentLength === undefined ? undefined : Number(upload.contentLength);
      if (declared !== undefined && declared > grant.size) throw problems.attachmentTooLarge(grant.size);
      if (declared !== undefined && declared < grant.size) throw problems.malformed(`This URL was signed for ${grant.size} bytes; the body has ${declared}.`);
      // An upload URL writes once, and never after registration (which moved the object away).
      const alreadyUploaded = () => problems.conflict("already_uploaded", "A file was already uploaded with this URL.");
      if ((await disk.head(grant.key)) || (isUploadKey(grant.key) && (await disk.head(attachmentKeyOfUpload(grant.key))))) throw alreadyUploaded();
      let received = 0;
      async function* exactly(): AsyncGenerator<Buffer> {
        for await (const chunk of upload.body as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > grant.size) throw problems.attachmentTooLarge(grant.size);
          yield chunk;
        }
        if (received < grant.size) throw problems.malformed(`This URL was signed for ${grant.size} bytes; the body ended after ${received}.`);
      }
      try {
        await disk.write(grant.key, Readable.from(exactly(), { objectMode: false }), grant.contentType);
      } catch (error) {
        if (error instanceof ObjectExistsError) throw alreadyUploaded();
        throw error;
      }
    },

    async serve(token: string): Promise<OutgoingDownload> {
      const disk = local();
      const grant = disk.verify(token, "GET");
      const object = await disk.openRead(grant.key);
      if (!object) throw problems.notFound("file");
      return {
        body: object.stream,
        headers: {
          "content-type": grant.contentType,
          "content-length": String(object.size),
          "content-disposition": attachmentDisposition(grant.filename),
          // Belt and braces against stored XSS: never sniffed, never rendered with privileges.
          "x-content-type-options": "nosniff",
          "content-security-policy": "default-src 'none'; sandbox",
          "cache-control": "private, no-store",
        },
      };
    },
  };
}

export type LocalObjectService = ReturnType<typeof createLocalObjectService>;
