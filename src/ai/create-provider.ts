// Chooses the provider from configuration: the local one unless AI_BASE_URL names an endpoint.
import type { AiSettings } from "../config.ts";
import type { AiProvider } from "./provider.ts";
import { LOCAL_MODEL, LOCAL_PROVIDER } from "./local-attribution.ts";
import { createOpenAiProvider } from "./openai-provider.ts";

export function createAiProvider(settings: AiSettings): AiProvider {
  return settings.baseUrl ? createOpenAiProvider({ ...settings, baseUrl: settings.baseUrl }) : localProviderLoadedApart();
}

/**
 * The local provider's libraries and models take a second to load on a quiet machine (far more on
 * a busy one) and tens of MiB: loaded on first use or warm-up, never on the way to listening, and
 * not at all by a process configured with a remote model.
 */
function localProviderLoadedApart(): AiProvider {
  let loading: Promise<AiProvider> | undefined;
  const local = () => (loading ??= import("./local-provider.ts").then((module) => module.createLocalProvider()));
  return {
    provider: LOCAL_PROVIDER,
    model: LOCAL_MODEL,
    triage: async (input) => (await local()).triage(input),
    summarize: async (input) => (await local()).summarize(input),
    review: async (input) => (await local()).review(input),
    warmUp: async () => (await local()).warmUp?.(),
  };
}
