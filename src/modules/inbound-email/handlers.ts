import type { Handlers } from "../../core/contract-types.ts";
import type { InboundEmailService, SignatureHeaders } from "./service.ts";

export function inboundEmailHandlers(inbound: InboundEmailService): Pick<Handlers, "receiveInboundEmail"> {
  return {
    receiveInboundEmail: async (request, reply) => {
      // message/rfc822 arrives as the raw bytes (src/http/message-body.ts): the signature covers them exactly.
      const raw = request.body as unknown as Buffer;
      const { status, body } = await inbound.receive(raw, request.headers as SignatureHeaders, request.id);
      reply.status(status);
      return body;
    },
  };
}
