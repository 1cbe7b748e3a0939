// Chooses the provider from configuration: the local one unless AI_BASE_URL names an endpoint.
import type { AiSettings } from "../config.ts";
import type { AiProvider } from "./provider.ts";
import { createLocalProvider } from "./local-provider.ts";
import { createOpenAiProvider } from "./openai-provider.ts";

export function createAiProvider(settings: AiSettings): AiProvider {
  return settings.baseUrl ? createOpenAiProvider({ ...settings, baseUrl: settings.baseUrl }) : createLocalProvider();
}
