// A request that waits on the model: a provider that failed for good (after its retries) is the
// caller's 502, not a 500, and it is logged with what the endpoint said.
import { problems } from "../core/problem.ts";
import { AiProviderError } from "./provider.ts";

export async function askModel<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AiProviderError) throw problems.aiUnavailable(error.message);
    throw error;
  }
}
