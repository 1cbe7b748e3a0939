// Types of the contract's bodies, parameters and responses, from the generated sdk/schema.ts: the
// same types the SDK's users see, so server and clients cannot drift apart unnoticed.
import type { FastifyReply, FastifyRequest } from "fastify";
import type { components, operations } from "../../sdk/schema.ts";
import type { OperationId } from "./contract.ts";

export type Schemas = components["schemas"];

type Operation<K extends OperationId> = operations[K];
type JsonContent<T> = T extends { content: { "application/json": infer Body } } ? Body : never;

export type BodyOf<K extends OperationId> = Operation<K> extends { requestBody: infer R } ? JsonContent<NonNullable<R>> : never;
export type QueryOf<K extends OperationId> = NonNullable<Operation<K>["parameters"]["query"]>;
export type PathOf<K extends OperationId> = NonNullable<Operation<K>["parameters"]["path"]>;

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<K extends OperationId> = Operation<K>["responses"];
/** What a handler may return: the JSON body of any 2xx response of the operation (or nothing, for 204). */
export type ResultOf<K extends OperationId> =
  | { [S in keyof Responses<K>]: S extends SuccessStatus ? JsonContent<Responses<K>[S]> : never }[keyof Responses<K>]
  | (204 extends keyof Responses<K> ? void : never);

export type RequestOf<K extends OperationId> = FastifyRequest<{ Body: BodyOf<K>; Querystring: QueryOf<K>; Params: PathOf<K> }>;
export type Handler<K extends OperationId> = (request: RequestOf<K>, reply: FastifyReply) => Promise<ResultOf<K> | string>;

/** Every operation of the contract must have exactly one handler; TypeScript checks the set. */
export type Handlers = { [K in OperationId]: Handler<K> };
