// Contract-driven fuzzing: for every operation in openapi.yaml, malformed inputs generated from
// its own schemas (path, query, headers, JSON body) are sent to the real server with valid
// credentials and real ids for everything else. Whatever the input, the answer is never a 5xx,
// every 4xx is application/problem+json, and the server stays healthy. An operation added to the
// contract is fuzzed with no new test code.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContract, type OperationInfo } from "../src/core/contract.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { addMember, signUp, type SignedUpTenant } from "./support/fixtures.ts";
import { openTicket } from "./support/tickets.ts";
import { PNG, uploadPresigned } from "./support/attachments.ts";

type Schema = Record<string, any>;
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: Schema;
}
interface Input {
  operationId: string;
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer | undefined;
}

const contract = loadContract();
const document = contract.document as Schema;
const SOME_ID = "00000000-0000-4000-8000-000000000000";

/** Local $refs resolved on the way down; recursion stops at a few levels (enough to reach every field). */
function resolve(node: unknown, depth = 0): Schema {
  let schema = node as Schema;
  while (schema && typeof schema.$ref === "string") {
    schema = (schema.$ref as string)
      .slice(2)
      .split("/")
      .reduce((at: Schema, key) => at[key.replaceAll("~1", "/").replaceAll("~0", "~")], document);
  }
  if (!schema || typeof schema !== "object" || depth > 6) return schema ?? {};
  const out: Schema = { ...schema };
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([key, value]) => [key, resolve(value, depth + 1)]));
  if (out.items) out.items = resolve(out.items, depth + 1);
  for (const key of ["oneOf", "anyOf", "allOf"]) if (Array.isArray(out[key])) out[key] = out[key].map((item: unknown) => resolve(item, depth + 1));
  return out;
}

function typesOf(schema: Schema): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  if (typeof schema.type === "string") return [schema.type];
  if (schema.properties) return ["object"];
  const alternative = schema.oneOf ?? schema.anyOf ?? schema.allOf;
  return Array.isArray(alternative) ? alternative.flatMap(typesOf) : [];
}

/** A plausible valid value, the baseline that one malformed part is swapped into. */
function sample(schema: Schema, depth = 0): unknown {
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = typesOf(schema).find((candidate) => candidate !== "null");
  switch (type) {
    case "object":
      return Object.fromEntries(((schema.required as string[] | undefined) ?? []).map((key) => [key, depth > 4 ? {} : sample(resolve(schema.properties?.[key] ?? {}), depth + 1)]));
    case "array":
      return [];
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return true;
    case "string":
      if (schema.format === "uuid") return SOME_ID;
      if (schema.format === "date-time") return "2030-01-01T00:00:00Z";
      if (schema.format === "email") return "fuzz@example.test";
      return "x".repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return "x";
  }
}

const NESTED_40 = (() => {
  let value: unknown = 1;
  for (let i = 0; i < 40; i++) value = { a: value };
  return value;
})();
/** Stands for a JSON number literal that parses to Infinity, spliced into the body text. */
const OVERFLOWING_NUMBER = "\u0001overflowing number\u0001";
const bodyText = (value: unknown) => JSON.stringify(value).replaceAll(JSON.stringify(OVERFLOWING_NUMBER), "1e400");
const BAD_UUIDS = [`urn:uuid:${SOME_ID}`, "-".repeat(36), SOME_ID.replaceAll("-", ""), `{${SOME_ID}}`];
const BAD_DATES = ["0000-01-01T00:00:00Z", "2016-12-31T23:59:60Z", "9999-12-31T23:59:59-05:00", "-200000-01-01T00:00:00Z", "2021-02-30T00:00:00Z", "2020-01-01T00:00:00+23:00", "1"];

/** Malformed values for a field of this schema: wrong types, unstorable text, sizes and formats. */
function badValues(schema: Schema): unknown[] {
  const types = typesOf(schema);
  const values: unknown[] = ["a\u0000b", "\ud800", NESTED_40, [null], {}];
  if (!types.includes("null")) values.push(null);
  if (types.includes("string")) {
    values.push(12345, true, "x".repeat(Math.min((schema.maxLength ?? 100_000) + 1, 200_000)));
    if (schema.format === "uuid") values.push(...BAD_UUIDS);
    if (schema.format === "date-time") values.push(...BAD_DATES);
    if (schema.format === "email") values.push("a\u0000@b.test", `x@${"a".repeat(300)}.test`);
    if (schema.enum) values.push("bogus");
  }
  if (types.includes("integer") || types.includes("number")) values.push("1", 1e300, -1e300, 2 ** 63, -1, 1.5, 0, OVERFLOWING_NUMBER);
  if (types.includes("boolean")) values.push("true", 0);
  if (types.includes("array")) values.push("x", ["a\u0000"], [{}], Array.from({ length: 10_001 }, () => sample(resolve(schema.items ?? {}))));
  if (types.includes("object")) values.push("x", [], { "a\u0000": 1 }, { unknownField: 1 });
  return values;
}

/** Every field of a body schema, two levels down (array items included), with its schema. */
function fieldsOf(schema: Schema, prefix: (string | number)[] = [], depth = 0): Array<{ path: (string | number)[]; schema: Schema }> {
  const fields: Array<{ path: (string | number)[]; schema: Schema }> = [];
  for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const path = [...prefix, name];
    fields.push({ path, schema: property });
    if (depth < 2 && property.properties) fields.push(...fieldsOf(property, path, depth + 1));
    if (depth < 2 && property.items?.properties) fields.push(...fieldsOf(property.items, [...path, 0], depth + 1));
  }
  return fields;
}

function withValue(base: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(base ?? {}) as Record<string | number, unknown>;
  let at = copy;
  path.forEach((key, index) => {
    if (index === path.length - 1) at[key] = value;
    else {
      if (at[key] === null || typeof at[key] !== "object") at[key] = typeof path[index + 1] === "number" ? [] : {};
      at = at[key] as Record<string | number, unknown>;
    }
  });
  return copy;
}

function cursorOf(parts: unknown): string {
  return Buffer.from(typeof parts === "string" ? parts : JSON.stringify(parts)).toString("base64url");
}
const TAMPERED_CURSORS = [
  "not base64 at all!",
  cursorOf("junk"),
  cursorOf("{}"),
  cursorOf(["99999999999999999999"]),
  cursorOf(["99999999999999999999", "1"]),
  cursorOf(["1", "99999999999999999999"]),
  cursorOf([1e300]),
  cursorOf(["-200000-01-01T00:00:00.000Z", SOME_ID]),
  cursorOf(["0000-01-01T00:00:00Z", SOME_ID]),
  cursorOf(["2016-12-31T23:59:60Z", SOME_ID]),
  cursorOf(["createdAt-", "-200000-01-01T00:00:00.000Z", SOME_ID]),
  cursorOf(["createdAt-", "1", `urn:uuid:${SOME_ID}`]),
  cursorOf(["number+", 1e300]),
  cursorOf(["priority-", "high", 1e300]),
  cursorOf(["relevance-", 1e300, SOME_ID]),
  cursorOf(["a\u0000", "\ud800", 1]),
];

function queryBadValues(name: string, schema: Schema): string[] {
  const types = typesOf(schema);
  const values = ["a%00b", "%ED%A0%80", "%E0%A4%A", "x".repeat(8_000), ""];
  if (types.includes("integer") || types.includes("number")) values.push("abc", "1e300", "-1", "99999999999999999999", "1.5");
  if (types.includes("boolean")) values.push("maybe");
  if (schema.enum || schema.items?.enum) values.push("bogus");
  const format = schema.format ?? schema.items?.format;
  if (format === "uuid") values.push(...BAD_UUIDS.map(encodeURIComponent));
  if (format === "date-time") values.push(...BAD_DATES.map(encodeURIComponent));
  if (name === "cursor") values.push(...TAMPERED_CURSORS.map(encodeURIComponent));
  return values;
}

const PATH_BAD_VALUES = [...BAD_UUIDS.map(encodeURIComponent), `${SOME_ID}%00`, "%ED%A0%80", "%E0%A4%A", "a".repeat(200), "%20", "null", "0"];
const HEADER_BAD_VALUES = ['"99999999999999999999"', '"1e300"', '"-1"', 'W/"x"', '""', "\u00ff\u00fe"];
const AUTHORIZATION_BAD_VALUES = ["Bearer", "Bearer a.b.c", `Bearer ${"x".repeat(8_000)}`, "Basic eDp5", "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."];

interface Seeds {
  tokenFor(operation: OperationInfo): string | undefined;
  pathValue(name: string, schema: Schema): string;
}

/** Every malformed input for one operation, each with everything else valid. */
function inputsFor(operation: OperationInfo, seeds: Seeds): Input[] {
  const raw = (document.paths as Schema)[operation.path][operation.method.toLowerCase()] as Schema;
  const pathItem = (document.paths as Schema)[operation.path] as Schema;
  const parameters = [...(pathItem.parameters ?? []), ...(raw.parameters ?? [])].map((parameter: unknown) => resolve(parameter) as unknown as Parameter);
  const schemaOf = (parameter: Parameter) => resolve(parameter.schema ?? {});
  const pathParameters = parameters.filter((parameter) => parameter.in === "path");
  const queryParameters = parameters.filter((parameter) => parameter.in === "query");
  const headerParameters = parameters.filter((parameter) => parameter.in === "header");
  const token = seeds.tokenFor(operation);
  const jsonMedia = raw.requestBody ? (resolve(raw.requestBody).content?.["application/json"] as Schema | undefined) : undefined;
  const bodySchema = jsonMedia ? resolve(jsonMedia.schema ?? {}) : undefined;
  const baselineBody = bodySchema ? (jsonMedia!.example ?? sample(bodySchema)) : undefined;
  const requiredQuery = Object.fromEntries(queryParameters.filter((parameter) => parameter.required).map((parameter) => [parameter.name, String(sample(schemaOf(parameter)))]));

  const build = (label: string, change: { path?: Record<string, string>; query?: Record<string, string>; headers?: Record<string, string>; body?: string | Buffer | null }): Input => {
    let url = operation.path;
    for (const parameter of pathParameters) url = url.replace(`{${parameter.name}}`, change.path?.[parameter.name] ?? seeds.pathValue(parameter.name, schemaOf(parameter)));
    const query = { ...requiredQuery, ...change.query };
    const search = Object.entries(query).map(([name, value]) => `${encodeURIComponent(name)}=${value}`).join("&");
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const body = change.body === null ? undefined : (change.body ?? (baselineBody === undefined ? undefined : JSON.stringify(baselineBody)));
    if (body !== undefined) headers["content-type"] = "application/json";
    return { operationId: operation.operationId, label, method: operation.method, path: search ? `${url}?${search}` : url, headers: { ...headers, ...change.headers }, body };
  };

  const inputs: Input[] = [];
  for (const parameter of pathParameters) {
    for (const value of PATH_BAD_VALUES) inputs.push(build(`path ${parameter.name}=${value.slice(0, 40)}`, { path: { [parameter.name]: value } }));
  }
  for (const parameter of queryParameters) {
    for (const value of queryBadValues(parameter.name, schemaOf(parameter))) inputs.push(build(`query ${parameter.name}=${value.slice(0, 40)}`, { query: { [parameter.name]: value } }));
  }
  // Cursors are read differently per sort and filter: each tampered one meets each of them.
  if (queryParameters.some((parameter) => parameter.name === "cursor")) {
    const variants: Record<string, string>[] = [];
    for (const parameter of queryParameters) {
      const schema = schemaOf(parameter);
      if (Array.isArray(schema.enum)) variants.push(...schema.enum.map((value: unknown) => ({ [parameter.name]: String(value) })));
      else if (typesOf(schema).includes("string") && !schema.format && !schema.pattern && parameter.name !== "cursor") variants.push({ [parameter.name]: "x" });
    }
    for (const variant of variants) {
      for (const cursor of TAMPERED_CURSORS) inputs.push(build(`cursor with ${JSON.stringify(variant)}`, { query: { ...variant, cursor: encodeURIComponent(cursor) } }));
    }
  }
  // An unknown query parameter is ignored (a 2xx is fine); only where that has no side effect.
  if (operation.method === "GET") inputs.push(build("unknown query parameter", { query: { unknownParameter: "a%00b" } }));
  for (const parameter of headerParameters) {
    const schema = schemaOf(parameter);
    const values = [...HEADER_BAD_VALUES, "k".repeat((schema.maxLength ?? 8_000) + 1)];
    for (const value of values) inputs.push(build(`header ${parameter.name}=${value.slice(0, 40)}`, { headers: { [parameter.name]: value } }));
  }
  if (operation.authentication !== "public") {
    for (const value of AUTHORIZATION_BAD_VALUES) inputs.push(build(`authorization ${value.slice(0, 40)}`, { headers: { authorization: value } }));
  }
  if (bodySchema) {
    const rawBodies = ["", "{", "null", "[]", '"s"', "1", '{"__proto__":{"x":1}}', `${"[".repeat(5_000)}${"]".repeat(5_000)}`, `{"a":${'{"a":'.repeat(3_900)}1${"}".repeat(3_900)}}`, "{}"];
    for (const body of rawBodies) inputs.push(build(`body ${body.slice(0, 30)}`, { body }));
    inputs.push(build("body with an unknown field", { body: JSON.stringify(withValue(baselineBody, ["unknownField"], 1)) }));
    for (const field of fieldsOf(bodySchema)) {
      for (const value of badValues(field.schema)) {
        inputs.push(build(`body ${field.path.join("/")}=${JSON.stringify(value)?.slice(0, 40)}`, { body: bodyText(withValue(baselineBody, field.path, value)) }));
      }
    }
  } else if (operation.requestBody) {
    // Streamed bodies (multipart files, raw uploads): the wrong kind of body, and broken forms.
    inputs.push(build("streamed body sent as JSON", { body: '{"a":"\\u0000"}' }));
    if (operation.requestBody.mediaTypes.includes("multipart/form-data")) {
      for (const [label, contentType, body] of malformedForms()) inputs.push(build(`multipart ${label}`, { body, headers: { "content-type": contentType } }));
    }
  } else {
    inputs.push(build("body where none is taken", { body: '{"a":1}' }));
  }
  return inputs;
}

/** multipart/form-data bodies with broken framing or names PostgreSQL cannot store. */
function malformedForms(): Array<[string, string, Buffer]> {
  const boundary = "fuzzboundary";
  const form = (disposition: Buffer, content: Buffer = PNG) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; `), disposition, Buffer.from("\r\nContent-Type: image/png\r\n\r\n"), content, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const type = `multipart/form-data; boundary=${boundary}`;
  return [
    ["without a boundary", "multipart/form-data", Buffer.from("x")],
    ["truncated", type, Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc`)],
    ["NUL in the filename", type, form(Buffer.from('name="file"; filename="a\u0000.png"'))],
    ["invalid UTF-8 in the filename", type, form(Buffer.concat([Buffer.from('name="file"; filename="a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('.png"')]))],
    ["encoded lone surrogate in the filename", type, form(Buffer.from("name=\"file\"; filename*=UTF-8''a%ED%A0%80.png"))],
    ["huge filename", type, form(Buffer.from(`name="file"; filename="${"a".repeat(10_000)}.png"`))],
    ["NUL in the field name", type, form(Buffer.from('name="fi\u0000le"; filename="a.png"'))],
    ["a field, not a file", type, form(Buffer.from('name="file"'), Buffer.from("\u0000"))],
  ];
}

let server: TestServer;
let owner: SignedUpTenant;
let seeds: Seeds;
beforeAll(async () => {
  server = await startServer();
  owner = await signUp(server);
  const other = await signUp(server); // the platform operations' tenant, so the owner's stays intact
  const member = await addMember(server, owner, "user");
  const ticket = await openTicket(owner.client);
  const comment = await owner.client.POST("/v1/tickets/{ticketId}/comments", { params: { path: { ticketId: ticket.id } }, body: { body: "seed" } });
  const attachment = await uploadPresigned(owner.client, ticket.id, "seed.png", "image/png", PNG);
  expect(attachment.response.status).toBe(201);
  const ids: Record<string, string> = { ticketId: ticket.id, commentId: comment.data!.id, userId: member.user.id, attachmentId: attachment.data!.id, tenantId: other.tenant.id };
  seeds = {
    tokenFor: (operation) =>
      operation.authentication === "operator" ? server.config.platformOperatorToken : operation.authentication === "user" ? owner.client.tokens.accessToken : undefined,
    pathValue: (name, schema) => ids[name] ?? String(sample(schema)),
  };
});
afterAll(async () => {
  await server.close();
});

/** node:http, not fetch: fetch refuses a body on GET and normalises some paths. */
function send(input: Input, agent: http.Agent | false): Promise<{ status: number; contentType: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(server.url + input.path, { method: input.method, headers: input.headers, agent }, (response) => {
      response.resume();
      response.on("end", () => resolve({ status: response.statusCode ?? 0, contentType: String(response.headers["content-type"] ?? "") }));
    });
    request.on("error", reject);
    request.end(input.body);
  });
}

async function sendAll(inputs: Input[], concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  let fiveHundreds = 0;
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const input = inputs[next++]!;
      // A server may close a kept-alive connection after an error answer: retry once on a new one.
      const { status, contentType } = await send(input, agent).catch(() => send(input, false).catch((error: Error) => ({ status: 0, contentType: error.message })));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) fiveHundreds++;
      if (status === 0 || status >= 500 || (status >= 400 && !contentType.startsWith("application/problem+json"))) {
        failures.push(`${input.operationId} ${input.method} ${input.path.slice(0, 120)} [${input.label}] → ${status} ${contentType}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { failures, fiveHundreds, statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)) };
}

describe("contract-driven fuzzing", () => {
  it("answers every malformed input to every operation with a 4xx problem, never a 5xx", async () => {
    const operations = [...contract.operations.values()];
    const inputs = operations.flatMap((operation) => inputsFor(operation, seeds));
    const startedAt = performance.now();
    const { failures, fiveHundreds, statuses } = await sendAll(inputs, 8);
    console.log(
      `fuzz: ${operations.length} operations × ${inputs.length} malformed inputs in all (${(inputs.length / operations.length).toFixed(0)} per operation on average), ` +
        `5xx seen: ${fiveHundreds}, non-problem 4xx: ${failures.length - fiveHundreds}, statuses ${JSON.stringify(statuses)}, ${Math.round(performance.now() - startedAt)} ms`,
    );
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // The seeded admin is still signed in and the tenant intact: nothing malformed got through.
    expect((await owner.client.GET("/v1/auth/me")).response.status).toBe(200);
  }, 120_000);
});
