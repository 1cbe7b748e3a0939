// The local provider, the default: no network, no model download. Each task is built from
// maintained NLP libraries (see src/ai/local/*): ELD for language, AFINN word lists for sentiment,
// stopword lists for keywords, wink-nlp and compromise for sentences, readability and entities.
import { LOCAL_MODEL, LOCAL_PROVIDER } from "./local-attribution.ts";
import type { AiProvider, ReviewInput, ReviewResult, SummaryInput, SummaryResult, TriageInput, TriageResult } from "./provider.ts";
import { detectLanguage } from "./local/language.ts";
import { readSentiment } from "./local/sentiment.ts";
import { readIntent } from "./local/intents.ts";
import { matchSkills } from "./local/skills.ts";
import { suggestPriority } from "./local/priority.ts";
import { extractEntities } from "./local/entities.ts";
import { summarizeLocally } from "./local/summary.ts";
import { reviewLocally } from "./local/review.ts";
import { keywordsOf } from "./local/text.ts";


const LANGUAGE_NAMES = new Intl.DisplayNames(["en"], { type: "language" });

/**
 * The libraries are synchronous and each step takes milliseconds to tens of them: between steps,
 * requests served by the same process get their turn (workers run beside the API by default).
 */
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createLocalProvider(): AiProvider {
  const attribution = { provider: LOCAL_PROVIDER, model: LOCAL_MODEL };
  return {
    ...attribution,
    async triage(input: TriageInput): Promise<TriageResult> {
      const text = `${input.title}\n${input.description}`;
      const language = detectLanguage(text);
      const sentiment = readSentiment(text, language.language);
      await yieldToRequests();
      const intent = readIntent(input.title, `${input.description}\n${input.tags.join(" ")}`);
      const priority = suggestPriority(text, intent.category, sentiment.sentiment, sentiment.score);
      const skills = matchSkills(input.skills, `${text}\n${input.tags.join(" ")}`, language.language, intent.category, intent.evidence);
      const keywords = keywordsOf(input.title, input.description, language.language);
      await yieldToRequests();
      const entities = extractEntities(text);
      const notes: string[] = [];
      if (language.language !== "und" && language.language !== "en") notes.push(`Written in ${LANGUAGE_NAMES.of(language.language) ?? language.language}: reply in the same language.`);
      if (sentiment.sentiment === "negative") notes.push(`The requester sounds upset${sentiment.words.length ? ` ("${sentiment.words.slice(0, 3).join('", "')}")` : ""}: acknowledge it first.`);
      if (intent.evidence.length) notes.push(`Looks like ${intent.category.replace("_", " ")} (mentions ${intent.evidence.slice(0, 4).join(", ")}).`);
      if (entities.orderNumbers.length) notes.push(`References: ${entities.orderNumbers.join(", ")}.`);
      if (entities.amounts.length) notes.push(`Amounts mentioned: ${entities.amounts.join(", ")}.`);
      if (priority.reasons.length) notes.push(`Priority ${priority.priority}: ${priority.reasons.join("; ")}.`);
      if (input.skills.length > 0 && skills.length === 0) notes.push("No agent skill matched: route by hand or add a skill.");
      return {
        ...attribution,
        language: language.language,
        sentiment: sentiment.sentiment,
        sentimentScore: sentiment.score,
        category: intent.category,
        suggestedPriority: priority.priority,
        skills,
        keywords,
        notes,
        confidence: { language: language.confidence, sentiment: sentiment.confidence, category: intent.confidence, priority: priority.confidence },
      };
    },
    async summarize(input: SummaryInput): Promise<SummaryResult> {
      await yieldToRequests();
      const entities = extractEntities([input.title, ...input.messages.map((message) => message.body)].join("\n\n"));
      await yieldToRequests();
      return { ...attribution, ...summarizeLocally(input), entities };
    },
    async warmUp() {
      await this.triage({ title: "Warm-up", description: "Hello, my invoice was charged twice on 3 March 2025.", tags: [], channel: "api", skills: [] });
    },
    async review(input: ReviewInput): Promise<ReviewResult> {
      return { ...attribution, categories: reviewLocally(input) };
    },
  };
}
