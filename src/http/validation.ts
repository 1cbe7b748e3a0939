// Request validation from the contract's schemas. Bodies are checked strictly (no type coercion,
// unknown properties rejected, never silently dropped); query, path and header values arrive as
// strings and are coerced to the declared types.
import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";
import type { FastifySchemaCompiler } from "fastify";

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
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv({ coerceTypes: false });
  const coercing = createAjv({ coerceTypes: "array" });
  return ({ schema, httpPart }) => (httpPart === "body" ? strict : coercing).compile(schema as object);
}
