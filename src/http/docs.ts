// Swagger UI at /docs, serving the contract file itself (static mode: nothing is generated from
// routes). Bearer "Authorize" comes from the contract's securitySchemes.
import type { FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { Contract } from "../core/contract.ts";

export async function registerDocs(app: FastifyInstance, contract: Contract): Promise<void> {
  await app.register(swagger, { mode: "static", specification: { document: structuredClone(contract.document) as never } });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    uiConfig: { persistAuthorization: true, displayOperationId: true, tryItOutEnabled: true },
  });
}
