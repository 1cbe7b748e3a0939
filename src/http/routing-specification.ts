// The document fastify-openapi-glue builds the routes from: the contract, less what Fastify itself
// neither parses nor serializes.
import type { Contract } from "../core/contract.ts";

/** Media types whose bodies Fastify parses (requests) or serializes from a schema (responses). */
const ROUTED_MEDIA_TYPES = new Set(["application/json"]);

type RoutedContent = Record<string, { schema?: unknown }>;
interface RoutedResponse {
  $ref?: string;
  content?: RoutedContent;
}
interface RoutedOperation {
  requestBody?: { content?: RoutedContent };
  responses?: Record<string, RoutedResponse>;
}

/** Keeps only the routed media types of a content map; false when none is left. */
function keepRouted(content: RoutedContent): boolean {
  for (const mediaType of Object.keys(content)) if (!ROUTED_MEDIA_TYPES.has(mediaType)) delete content[mediaType];
  return Object.keys(content).length > 0;
}

/**
 * The document the routes are built from: only what Fastify itself parses and serializes. The
 * glue registers every media type it sees and warns about each without a body parser, so the
 * others stay in openapi.yaml (for docs and the SDK) but not here: streamed request bodies
 * (multipart files, raw uploads of any type) are read by their handlers, and the request-body check
 * enforces media types from the contract; problem documents, YAML and files are sent ready-made.
 */
export function routingSpecification(contract: Contract): Record<string, unknown> {
  const document = structuredClone(contract.document) as {
    paths: Record<string, Record<string, RoutedOperation>>;
    components?: { responses?: Record<string, RoutedResponse> };
  };
  const shared = (ref: string) => structuredClone(document.components?.responses?.[ref.replace("#/components/responses/", "")] ?? {});
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem)) {
      if (typeof operation !== "object" || operation === null) continue;
      if (operation.requestBody?.content && !keepRouted(operation.requestBody.content)) delete operation.requestBody;
      for (const [status, given] of Object.entries(operation.responses ?? {})) {
        const response = given.$ref ? shared(given.$ref) : given;
        if (response.content && !keepRouted(response.content)) delete response.content;
        operation.responses![status] = response;
      }
    }
  }
  return document;
}
