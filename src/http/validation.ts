// Request validation from the contract's schemas. Bodies are checked strictly (no type coercion,
// unknown properties rejected, never silently dropped); query, path and header values arrive as
// strings and are coerced to the declared types.
//
// One edge for every part: formats mean what PostgreSQL can store (src/core/formats.ts), and
// every string of a body, query, path or header, declared or not, is checked for what no text
// column can hold (and every number for being finite: JSON's 1e400 parses to Infinity, which
// JSON Schema's integer and number accept) before the schema is even consulted.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";
import { isDateTime, isStorableText, isUuid } from "../core/formats.ts";

// ajv-formats is CommonJS; under Node's ESM loader its default export is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

function createAjv(options: Options): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: false, // OpenAPI annotations (example, x-…) sit beside JSON Schema keywords
    removeAdditional: false,
    useDefaults: true,
    ...options,
  });
  addFormats(ajv);
  // ajv-formats' uuid takes `urn:uuid:` and its date-time takes year 0000 and second 60.
  ajv.addFormat("uuid", { type: "string", validate: isUuid });
  ajv.addFormat("date-time", { type: "string", validate: isDateTime });
  return ajv;
}

function escapePointer(segment: string): string {
  return segment.replaceAll("~", "~0").replaceAll("/", "~1");
}

/**
 * The first string (or property name) or number PostgreSQL could not store, as a validation
 * error. A loop over an explicit stack, not recursion: the JSON parser bounds nesting, but nothing
 * here relies on it.
 */
function unstorableValue(data: unknown): ErrorObject | undefined {
  const stack: Array<{ value: unknown; path: string }> = [{ value: data, path: "" }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      if (!isStorableText(value)) return textError(path);
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) return { instancePath: path, schemaPath: "#", keyword: "finite", params: {}, message: "must be a finite number" };
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: `${path}/${index}` }));
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        const itemPath = `${path}/${escapePointer(key)}`;
        if (!isStorableText(key)) return textError(itemPath);
        stack.push({ value: item, path: itemPath });
      }
    }
  }
  return undefined;
}

function textError(instancePath: string): ErrorObject {
  return { instancePath, schemaPath: "#", keyword: "text", params: {}, message: "must not contain NUL characters or unpaired UTF-16 surrogates" };
}

/**
 * Node lowercases received header names, so the contract's `Idempotency-Key` must be looked up as
 * `idempotency-key`. Fastify does this for its own compiler but leaves a custom one the schema as
 * written; parameters give a flat object, so its top level is all there is to rename.
 */
function lowerCaseHeaderNames(schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined;
  const required = schema.required as string[] | undefined;
  return {
    ...schema,
    ...(properties ? { properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name.toLowerCase(), value])) } : {}),
    ...(required ? { required: required.map((name) => name.toLowerCase()) } : {}),
  };
}

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: "array" });
  return ({ schema, httpPart }) => {
    const compiled: ValidateFunction =
      httpPart === "body" ? strict.compile(schema as object) : coercing.compile(httpPart === "headers" ? lowerCaseHeaderNames(schema as Record<string, unknown>) : (schema as object));
    const validate: Validate = (data) => {
      const unstorable = unstorableValue(data);
      validate.errors = unstorable ? [unstorable] : null;
      if (unstorable) return false;
      const valid = compiled(data);
      validate.errors = compiled.errors ?? null;
      return valid;
    };
    return validate;
  };
}
