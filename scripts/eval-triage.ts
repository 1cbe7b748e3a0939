// `npm run eval:triage`: the local provider's agreement with the labelled set in eval/triage.jsonl
// (tickets in six languages with the language, sentiment, intent and the skill that should win),
// per field and per language. `--verbose` lists every disagreement. No database, no network —
// unless AI_BASE_URL and AI_MODEL are set, when it measures that OpenAI-compatible model instead.
import fs from "node:fs";
import path from "node:path";
import { createLocalProvider } from "../src/ai/local-provider.ts";
import { createOpenAiProvider } from "../src/ai/openai-provider.ts";

interface Labelled {
  id: number;
  title: string;
  description: string;
  language: string;
  sentiment: string;
  category: string;
  skill: string;
}

/** The skills vocabulary of the evaluation's imaginary support team. */
export const EVAL_SKILLS = ["accounts", "billing", "product", "shipping", "technical"];
const FIELDS = ["language", "sentiment", "category", "skill"] as const;

const file = path.join(import.meta.dirname, "..", "eval", "triage.jsonl");
const cases = fs
  .readFileSync(file, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Labelled);
const verbose = process.argv.includes("--verbose");
const provider = process.env.AI_BASE_URL
  ? createOpenAiProvider({ baseUrl: process.env.AI_BASE_URL.replace(/\/+$/, ""), apiKey: process.env.AI_API_KEY || undefined, model: process.env.AI_MODEL ?? "", timeoutMs: 60_000, maxRetries: 3, retryBaseMs: 500 })
  : createLocalProvider();

const agree = Object.fromEntries(FIELDS.map((field) => [field, 0])) as Record<(typeof FIELDS)[number], number>;
const byLanguage = new Map<string, { n: number } & Record<(typeof FIELDS)[number], number>>();
const misses: string[] = [];
// Loading the word lists and models is the first call's: time the rest.
await provider.triage({ title: "warm-up", description: "", tags: [], channel: "email", skills: EVAL_SKILLS });
const started = performance.now();
for (const item of cases) {
  const result = await provider.triage({ title: item.title, description: item.description, tags: [], channel: "email", skills: EVAL_SKILLS });
  const got = { language: result.language, sentiment: result.sentiment, category: result.category, skill: result.skills[0]?.skill ?? "(none)" };
  const row = byLanguage.get(item.language) ?? { n: 0, language: 0, sentiment: 0, category: 0, skill: 0 };
  row.n++;
  for (const field of FIELDS) {
    if (got[field] === item[field]) {
      agree[field]++;
      row[field]++;
    } else misses.push(`#${item.id} ${item.language} ${field}: expected ${item[field]}, got ${got[field]}  (${item.title})`);
  }
  byLanguage.set(item.language, row);
}
const elapsed = performance.now() - started;

const pct = (hits: number, n: number) => `${((100 * hits) / n).toFixed(0)}%`.padStart(5);
console.log(`Triage evaluation: ${cases.length} labelled tickets, provider ${provider.provider} (${provider.model})\n`);
console.log(`${"field".padEnd(10)} agreement`);
for (const field of FIELDS) console.log(`${field.padEnd(10)} ${pct(agree[field], cases.length)}  (${agree[field]}/${cases.length})`);
console.log(`\n${"language".padEnd(9)} ${"n".padStart(3)} ${FIELDS.map((field) => field.slice(0, 8).padStart(9)).join("")}`);
for (const [language, row] of [...byLanguage].sort((a, b) => b[1].n - a[1].n)) {
  console.log(`${language.padEnd(9)} ${String(row.n).padStart(3)} ${FIELDS.map((field) => pct(row[field], row.n).padStart(9)).join("")}`);
}
console.log(`\n${(elapsed / cases.length).toFixed(1)} ms per ticket (after a warm-up call)`);
if (verbose) console.log(`\nDisagreements:\n${misses.join("\n")}`);
