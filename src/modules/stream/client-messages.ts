// Client messages, validated against the contract's own schema (StreamClientMessage in
// openapi.yaml), so the document the SDK is typed from is the rule the server applies.
import { Ajv } from "ajv";
import type { Schemas } from "../../core/contract-types.ts";
import { isUuid } from "../../core/formats.ts";

export type ClientMessage = Schemas["StreamClientMessage"];

export type ParsedMessage = { ok: true; message: ClientMessage } | { ok: false; detail: string; ref?: string };

export type ClientMessageParser = (text: string) => ParsedMessage;

export function createClientMessageParser(contract: Record<string, unknown>): ClientMessageParser {
  const ajv = new Ajv({ strict: false, allErrors: false, useDefaults: true });
  ajv.addFormat("uuid", { type: "string", validate: isUuid });
  ajv.addFormat("date-time", true);
  ajv.addSchema({ $id: "docket-contract", components: contract.components });
  // One validator per message type, from the discriminator's mapping: errors then name the
  // field that is wrong rather than every alternative of the oneOf.
  const schemas = (contract.components as { schemas: Record<string, { discriminator?: { mapping?: Record<string, string> } }> }).schemas;
  const mapping = schemas.StreamClientMessage?.discriminator?.mapping ?? {};
  const validators = new Map(Object.entries(mapping).map(([type, ref]) => [type, ajv.compile<ClientMessage>({ $ref: `docket-contract${ref}` })]));
  const types = [...validators.keys()].join(", ");
  return (text) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, detail: "A message must be a JSON object with a type." };
    }
    const type = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { type?: unknown }).type : undefined;
    const validate = typeof type === "string" ? validators.get(type) : undefined;
    if (!validate) return { ok: false, detail: `type must be one of: ${types}.` };
    if (validate(value)) return { ok: true, message: value };
    const error = validate.errors?.[0];
    const where = error?.instancePath ? error.instancePath.slice(1).replaceAll("/", ".") : type;
    return { ok: false, detail: `${where} ${error?.message ?? "is not valid"} (see StreamClientMessage in /openapi.json).`, ref: type as string };
  };
}
