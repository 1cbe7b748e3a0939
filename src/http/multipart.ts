// @fastify/multipart for the operations whose contract declares multipart/form-data. Files are
// streams: nothing is buffered whole or spooled to disk; the service reads each file as it
// arrives. Limits are set per request (the tenant's), and the parser's own errors become
// problem+json 4xx here rather than 500s.
import type { FastifyInstance, FastifyRequest } from "fastify";
import multipart from "@fastify/multipart";
import type { IncomingFile, OpenFiles } from "../modules/attachments/service.ts";
import { Problem, problems } from "../core/problem.ts";

export async function registerMultipart(app: FastifyInstance): Promise<void> {
  await app.register(multipart, {
    // Fields are not used (only files); keep what a client may send besides them small.
    limits: { fields: 10, fieldSize: 1024, fieldNameSize: 100, parts: 20, headerPairs: 100 },
  });
}

/** Errors of the parser (busboy) and of @fastify/multipart, as problems. */
export function multipartProblem(error: unknown, maxFiles: number, maxFileBytes: number): Problem {
  if (error instanceof Problem) return error;
  const code = (error as { code?: string }).code;
  switch (code) {
    case "FST_REQ_FILE_TOO_LARGE":
      return problems.attachmentTooLarge(maxFileBytes - 1);
    case "FST_FILES_LIMIT":
      return problems.tooManyFiles(maxFiles);
    case "FST_PARTS_LIMIT":
    case "FST_FIELDS_LIMIT":
      return new Problem(413, "too_many_parts", "Too many parts", "The multipart body has too many parts or fields.");
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
      return new Problem(415, "unsupported_media_type", "Unsupported media type", "Send the files as multipart/form-data.");
    default:
      return problems.malformed(`The multipart body is malformed: ${(error as Error).message}`);
  }
}

/** The request's files, opened with the given limits, every parser error turned into a problem. */
export function multipartFiles(request: FastifyRequest): OpenFiles {
  return ({ maxFileBytes, maxFiles }) => ({
    async *[Symbol.asyncIterator](): AsyncGenerator<IncomingFile> {
      const translate = (error: unknown) => multipartProblem(error, maxFiles, maxFileBytes);
      try {
        for await (const part of request.files({ limits: { fileSize: maxFileBytes, files: maxFiles } })) {
          yield {
            filename: part.filename,
            declaredType: part.mimetype,
            stream: {
              async *[Symbol.asyncIterator]() {
                try {
                  for await (const chunk of part.file) yield chunk as Buffer;
                } catch (error) {
                  throw translate(error);
                }
              },
            },
          };
        }
      } catch (error) {
        throw translate(error);
      }
    },
  });
}
