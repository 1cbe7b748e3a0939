// The OpenAI-compatible provider: POST {AI_BASE_URL}/chat/completions, which OpenAI, Gemini's
// compatible endpoint, Ollama and vLLM all serve. Each task asks for structured output
// (`response_format: json_schema`, strict) and validates the answer against the same schema, so a
// model that ignores the format is an error, not a half-read result. Transient failures (429, 5xx,
// a timeout, a dropped connection) are retried with exponential backoff and jitter.
import { Ajv, type ValidateFunction } from "ajv";
import type { AiSettings } from "../config.ts";
import {
  AiProviderError,
  limitWords,
  MAX_SUMMARY_WORDS,
  PRIORITIES,
  QA_CATEGORIES,
  SENTIMENTS,
  TRIAGE_CATEGORIES,
  type AiProvider,
  type CategoryScore,
  type ReviewInput,
  type ReviewResult,
  type SummaryInput,
  type SummaryResult,
  type TriageInput,
  type TriageResult,
} from "./provider.ts";

export const OPENAI_PROVIDER = "openai-compatible";

const strings = { type: "array", items: { type: "string" } } as const;
const unit = { type: "number", minimum: 0, maximum: 1 } as const;
/** Strict structured output wants every property required and nothing else allowed. */
const object = (properties: Record<string, object>) => ({ type: "object", properties, required: Object.keys(properties), additionalProperties: false });

const TRIAGE_SCHEMA = object({
  language: { type: "string", description: "ISO 639-1 code of the ticket's language, or und" },
  sentiment: { type: "string", enum: SENTIMENTS },
  sentimentScore: { type: "number", minimum: -1, maximum: 1 },
  category: { type: "string", enum: TRIAGE_CATEGORIES },
  suggestedPriority: { type: "string", enum: PRIORITIES },
  skills: { type: "array", items: object({ skill: { type: "string" }, confidence: unit }) },
  keywords: strings,
  notes: strings,
  confidence: object({ language: unit, sentiment: unit, category: unit, priority: unit }),
});

const ENTITIES_SCHEMA = object({ people: strings, organisations: strings, products: strings, dates: strings, amounts: strings, orderNumbers: strings });
const SUMMARY_SCHEMA = object({ summary: { type: "string" }, problem: { type: "string" }, actions: { type: "string" }, status: { type: "string" }, nextStep: { type: "string" }, entities: ENTITIES_SCHEMA });

const REVIEW_SCHEMA = object({
  categories: {
    type: "array",
    items: object({ category: { type: "string", enum: QA_CATEGORIES }, score: { type: "integer", minimum: 0, maximum: 100 }, evidence: strings, rationale: { type: "string" } }),
  },
});

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = {
  triage: ajv.compile(TRIAGE_SCHEMA),
  summary: ajv.compile(SUMMARY_SCHEMA),
  review: ajv.compile(REVIEW_SCHEMA),
};

interface ChatResponse {
  model?: string;
  choices?: { message?: { content?: string | null; refusal?: string | null } }[];
}

class Retryable extends Error {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createOpenAiProvider(settings: AiSettings & { baseUrl: string }, fetchImpl: typeof fetch = fetch): AiProvider {
  const endpoint = `${settings.baseUrl}/chat/completions`;

  async function attempt(body: object): Promise<ChatResponse> {
    let response: Response;
    try {
      response = await fetchImpl(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error).name === "TimeoutError" ? `no answer within ${settings.timeoutMs} ms` : (error as Error).message;
      throw new Retryable(`${endpoint}: ${reason}`);
    }
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      throw new Retryable(`${endpoint} answered ${response.status}`, retryAfter(response.headers.get("retry-after")));
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw new AiProviderError(`${endpoint} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return (await response.json()) as ChatResponse;
  }

  /** One structured call: system + user message in, the validated JSON object out. */
  async function complete<T>(task: keyof typeof validators, schema: object, system: string, user: string): Promise<{ value: T; model: string }> {
    const body = {
      model: settings.model,
      temperature: 0,
      messages: [
        { role: "system", content: system },
        { role: "user", content: user },
      ],
      response_format: { type: "json_schema", json_schema: { name: `docket_${task}`, strict: true, schema } },
    };
    let lastError: Error | undefined;
    for (let attemptNo = 0; attemptNo <= settings.maxRetries; attemptNo++) {
      if (attemptNo > 0) {
        const backoff = settings.retryBaseMs * 2 ** (attemptNo - 1) * (0.75 + Math.random() * 0.5);
        const hinted = lastError instanceof Retryable && lastError.retryAfterMs !== undefined && lastError.retryAfterMs < 60_000 ? lastError.retryAfterMs : undefined;
        await sleep(hinted ?? backoff);
      }
      try {
        const response = await attempt(body);
        const message = response.choices?.[0]?.message;
        if (message?.refusal) throw new AiProviderError(`the model refused: ${message.refusal}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(message?.content ?? "");
        } catch {
          throw new AiProviderError(`the model's answer is not JSON: ${String(message?.content).slice(0, 200)}`);
        }
        const validate: ValidateFunction = validators[task];
        if (!validate(parsed)) throw new AiProviderError(`the model's answer does not fit the ${task} schema: ${ajv.errorsText(validate.errors)}`);
        return { value: parsed as T, model: response.model ?? settings.model };
      } catch (error) {
        if (!(error instanceof Retryable)) throw error;
        lastError = error;
      }
    }
    throw new AiProviderError(`gave up after ${settings.maxRetries + 1} attempts: ${lastError?.message}`);
  }

  return {
    provider: OPENAI_PROVIDER,
    model: settings.model,

    async triage(input: TriageInput): Promise<TriageResult> {
      const { value, model } = await complete<Omit<TriageResult, "provider" | "model">>(
        "triage",
        TRIAGE_SCHEMA,
        "You triage customer support tickets. Answer only with JSON that fits the schema. " +
          `category is one of: ${TRIAGE_CATEGORIES.join(", ")}. skills must be chosen only from the given list (best first, may be empty). ` +
          "notes are short, practical hints for the agent who will answer. Every confidence is between 0 and 1.",
        JSON.stringify({ title: input.title, description: input.description, tags: input.tags, channel: input.channel, skills: input.skills }),
      );
      // Only the tenant's vocabulary: a model may invent a skill nobody has.
      const known = new Map(input.skills.map((skill) => [skill.toLowerCase(), skill]));
      const skills = value.skills.flatMap((match) => {
        const skill = known.get(match.skill.toLowerCase());
        return skill ? [{ skill, confidence: match.confidence }] : [];
      });
      return { ...value, language: value.language.toLowerCase().slice(0, 8) || "und", skills, provider: OPENAI_PROVIDER, model };
    },

    async summarize(input: SummaryInput): Promise<SummaryResult> {
      const { value, model } = await complete<Omit<SummaryResult, "provider" | "model">>(
        "summary",
        SUMMARY_SCHEMA,
        `You summarise a support ticket's discussion for an agent. summary: at most ${MAX_SUMMARY_WORDS} words covering the problem, what was done, the status and the next step; ` +
          "problem, actions, status and nextStep: one sentence each. entities: people, organisations, products, dates, amounts and order numbers named in the discussion, as written. Answer only with JSON that fits the schema.",
        JSON.stringify(input),
      );
      return { ...value, summary: limitWords(value.summary, MAX_SUMMARY_WORDS), provider: OPENAI_PROVIDER, model };
    },

    async review(input: ReviewInput): Promise<ReviewResult> {
      const { value, model } = await complete<{ categories: CategoryScore[] }>(
        "review",
        REVIEW_SCHEMA,
        `You review a support agent's replies like Zendesk AutoQA. Score each category 0-100: ${QA_CATEGORIES.join(", ")}. ` +
          "evidence: exact quotes from the agent's replies that support the score (empty if the thing is missing). Answer only with JSON that fits the schema.",
        JSON.stringify(input),
      );
      // One score per category, in the catalogue's order; a category the model skipped is missing, not invented.
      const byCategory = new Map(value.categories.map((score) => [score.category, score]));
      const categories = QA_CATEGORIES.flatMap((category) => (byCategory.has(category) ? [byCategory.get(category)!] : []));
      if (categories.length === 0) throw new AiProviderError("the model scored no category");
      return { categories, provider: OPENAI_PROVIDER, model };
    },
  };
}
