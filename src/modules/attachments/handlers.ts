import type { Handlers } from "../../http/contract-types.ts";
import { userOf } from "../../http/authentication.ts";
import { multipartFiles } from "../../http/multipart.ts";
import type { Origin } from "../../storage/object-storage.ts";
import type { FastifyRequest } from "fastify";
import type { LocalObjectService } from "./local-objects.ts";
import type { AttachmentService } from "./service.ts";

export function attachmentHandlers(
  attachments: AttachmentService,
  localObjects: LocalObjectService,
  originOf: (request: FastifyRequest) => Origin,
): Pick<Handlers, "createAttachmentUploadUrl" | "registerAttachment" | "uploadAttachmentFiles" | "listAttachments" | "getAttachment" | "deleteAttachment" | "uploadLocalObject" | "downloadLocalObject"> {
  return {
    createAttachmentUploadUrl: async (request, reply) => {
      reply.status(201);
      return attachments.presignUpload(userOf(request), request.params.ticketId, request.body, originOf(request));
    },
    registerAttachment: async (request, reply) => {
      reply.status(201);
      return attachments.register(userOf(request), request.params.ticketId, request.body, originOf(request), request.id);
    },
    uploadAttachmentFiles: async (request, reply) => {
      reply.status(201);
      return attachments.uploadFiles(userOf(request), request.params.ticketId, request.query.commentId, multipartFiles(request), originOf(request), request.id);
    },
    listAttachments: async (request) => attachments.list(userOf(request), request.params.ticketId, request.query, originOf(request)),
    getAttachment: async (request) => attachments.get(userOf(request), request.params.ticketId, request.params.attachmentId, originOf(request)),
    deleteAttachment: async (request, reply) => {
      await attachments.remove(userOf(request), request.params.ticketId, request.params.attachmentId, request.id);
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
