// Docket's TypeScript client: openapi-fetch typed by the contract (sdk/schema.ts, generated),
// plus session handling: it keeps the tokens that signup, login and refresh return, sends the
// access token, and on a 401 refreshes once and retries the request. createLiveClient (live.ts)
// adds the WebSocket stream on the same session.
import createClient from "openapi-fetch";
import type { Client, Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.ts";

export type { components, operations, paths } from "./schema.ts";
export { createLiveClient } from "./live.ts";
export type * from "./live.ts";
export type Schemas = components["schemas"];
export type TokenPair = Schemas["TokenPair"];
export type SessionTokens = Pick<TokenPair, "accessToken" | "refreshToken">;

export interface DocketClientOptions {
  /** e.g. http://localhost:3000 */
  baseUrl: string;
  accessToken?: string;
  refreshToken?: string;
  /** Called whenever the client obtains new tokens, to persist them. */
  onTokens?: (tokens: SessionTokens | null) => void;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

export interface DocketClient extends Client<paths> {
  readonly baseUrl: string;
  readonly tokens: { accessToken?: string; refreshToken?: string };
  setTokens(tokens: SessionTokens | null): void;
}

// Responses of these carry a token pair the client should adopt.
const TOKEN_ISSUERS = ["/v1/auth/signup", "/v1/auth/login", "/v1/auth/refresh"];
// Public operations: a 401 from them is an answer, not an expired token.
const PUBLIC = new Set([...TOKEN_ISSUERS, "/v1/auth/logout"]);

export function createDocketClient(options: DocketClientOptions): DocketClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const tokens: { accessToken?: string; refreshToken?: string } = { accessToken: options.accessToken, refreshToken: options.refreshToken };
  const pendingRetries = new Map<string, Request>();
  let refreshing: Promise<boolean> | undefined;

  function setTokens(pair: SessionTokens | null): void {
    tokens.accessToken = pair?.accessToken;
    tokens.refreshToken = pair?.refreshToken;
    options.onTokens?.(pair ? { accessToken: pair.accessToken, refreshToken: pair.refreshToken } : null);
  }

  /** One refresh at a time: refresh tokens are single-use, so parallel 401s share one exchange. */
  function refreshOnce(): Promise<boolean> {
    refreshing ??= (async () => {
      const refreshToken = tokens.refreshToken;
      if (!refreshToken) return false;
      const response = await fetchImpl(new URL("/v1/auth/refresh", options.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refreshToken }),
      });
      if (!response.ok) {
        setTokens(null);
        return false;
      }
      setTokens((await response.json()) as TokenPair);
      return true;
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  const session: Middleware = {
    onRequest({ request, id, schemaPath }) {
      if (tokens.accessToken && !request.headers.has("authorization") && !schemaPath.startsWith("/v1/platform/")) {
        request.headers.set("authorization", `Bearer ${tokens.accessToken}`);
      }
      if (tokens.refreshToken && !PUBLIC.has(schemaPath)) pendingRetries.set(id, request.clone());
      return request;
    },
    async onResponse({ response, id, schemaPath }) {
      const original = pendingRetries.get(id);
      pendingRetries.delete(id);
      if (response.ok && TOKEN_ISSUERS.includes(schemaPath)) {
        setTokens((await response.clone().json()) as TokenPair);
        return response;
      }
      if (response.status !== 401 || !original) return response;
      if (!(await refreshOnce())) return response;
      const retry = new Request(original, { headers: new Headers(original.headers) });
      retry.headers.set("authorization", `Bearer ${tokens.accessToken}`);
      return fetchImpl(retry);
    },
  };

  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: fetchImpl, headers: options.headers });
  client.use(session);
  return Object.assign(client, { baseUrl: options.baseUrl, tokens, setTokens });
}
