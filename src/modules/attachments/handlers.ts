import type { Handlers } from "../../core/contract-types.ts";
import { callerOf } from "../../core/principal.ts";
import type { Origin } from "../../storage/object-storage.ts";
import type { FastifyRequest } from "fastify";
import type { LocalObjectService } from "./local-objects.ts";
import type { AttachmentService, OpenFiles } from "./service.ts";

/** What the HTTP layer reads off a request for these handlers. */
export interface AttachmentRequestReaders {
  originOf: (request: FastifyRequest) => Origin;
  /** The multipart body's files, as streams. */
  filesOf: (request: FastifyRequest) => OpenFiles;
}

export function attachmentHandlers(
  attachments: AttachmentService,
  localObjects: LocalObjectService,
  { originOf, filesOf }: AttachmentRequestReaders,
): Pick<Handlers, "createAttachmentUploadUrl" | "registerAttachment" | "uploadAttachmentFiles" | "listAttachments" | "getAttachment" | "deleteAttachment" | "uploadLocalObject" | "downloadLocalObject"> {
  return {
    createAttachmentUploadUrl: async (request, reply) => {
      reply.status(201);
      return attachments.presignUpload(callerOf(request), request.params.ticketId, request.body, originOf(request));
    },
    registerAttachment: async (request, reply) => {
      reply.status(201);
      return attachments.register(callerOf(request), request.params.ticketId, request.body, originOf(request), request.id);
    },
    uploadAttachmentFiles: async (request, reply) => {
      reply.status(201);
      return attachments.uploadFiles(callerOf(request), request.params.ticketId, request.query.commentId, filesOf(request), originOf(request), request.id);
    },
    listAttachments: async (request) => attachments.list(callerOf(request), request.params.ticketId, request.query, originOf(request)),
    getAttachment: async (request) => attachments.get(callerOf(request), request.params.ticketId, request.params.attachmentId, originOf(request)),
    deleteAttachment: async (request, reply) => {
      await attachments.remove(callerOf(request), request.params.ticketId, request.params.attachmentId, request.id);
      reply.status(204);
    },
    uploadLocalObject: async (request, reply) => {
      await localObjects.receive(request.query.token, { contentType: request.headers["content-type"], contentLength: request.headers["content-length"], body: request.raw });
      reply.status(200);
      return "";
    },
    downloadLocalObject: async (request, reply) => {
      const download = await localObjects.serve(request.query.token);
      return reply.headers(download.headers).send(download.body);
    },
  };
}
