// Which of the tenant's agents' skills fit a ticket. The vocabulary is whatever the tenant's agents
// list (`User.skills`); a skill fits when its words (or their stems) occur in the ticket, when it
// names the ticket's intent or one of the intent's stems, or when it names the ticket's language.
import type { TriageCategory } from "../provider.ts";
import { INTENT_STEMS } from "./intents.ts";
import { round2, wordsOf } from "./text.ts";

/** Skill names an agent might use for the languages they speak. */
const LANGUAGE_NAMES: Record<string, string[]> = {
  en: ["english", "en"], de: ["german", "deutsch", "de"], fr: ["french", "français", "francais", "fr"], es: ["spanish", "español", "espanol", "es"],
  it: ["italian", "italiano", "it"], pt: ["portuguese", "português", "pt"], nl: ["dutch", "nederlands", "nl"], sv: ["swedish", "sv"], pl: ["polish", "pl"], ja: ["japanese", "ja"],
};

/**
 * Synonyms by intent, so a skill called "payments" fits a billing ticket even when the word is
 * absent; the more specific first (earlier ones win ties: a crash is "technical" before "product").
 */
const INTENT_SKILLS: Partial<Record<TriageCategory, string[]>> = {
  billing: ["billing", "payments", "payment", "invoicing", "finance", "refunds", "accounts receivable"],
  account_access: ["accounts", "account", "login", "authentication", "identity", "security", "sso"],
  bug: ["technical", "tech", "engineering", "bugs", "troubleshooting", "product"],
  outage: ["technical", "tech", "infrastructure", "networking", "ops", "operations", "incident", "sre"],
  how_to: ["onboarding", "product", "training", "general"],
  feature_request: ["product", "feedback"],
  feedback: ["feedback", "product", "general"],
  shipping: ["shipping", "logistics", "delivery", "orders", "fulfilment", "fulfillment"],
  cancellation: ["retention", "billing", "accounts"],
};

export interface SkillMatch {
  skill: string;
  confidence: number;
}

function normalise(skill: string): string[] {
  return skill.toLowerCase().split(/[\s_\-/]+/).filter(Boolean);
}

/** A word and a skill word fit when one starts the other and they share at least 4 letters (bill ~ billing). */
function wordFits(word: string, skillWord: string): boolean {
  if (word === skillWord) return true;
  const shorter = word.length < skillWord.length ? word : skillWord;
  const longer = shorter === word ? skillWord : word;
  return shorter.length >= 4 && longer.startsWith(shorter);
}

export function matchSkills(vocabulary: string[], text: string, language: string, category: TriageCategory, intentEvidence: string[]): SkillMatch[] {
  const words = new Set(wordsOf(text));
  const lowered = text.toLowerCase();
  const matches: SkillMatch[] = [];
  for (const skill of new Set(vocabulary)) {
    const parts = normalise(skill);
    if (parts.length === 0) continue;
    const name = parts.join(" ");
    let confidence = 0;
    if ((LANGUAGE_NAMES[language] ?? []).includes(name)) confidence = Math.max(confidence, 0.8);
    const synonym = (INTENT_SKILLS[category] ?? []).indexOf(name);
    if (name === category.replace("_", " ")) confidence = Math.max(confidence, 0.8);
    else if (synonym >= 0) confidence = Math.max(confidence, 0.78 - synonym * 0.02);
    if ((INTENT_STEMS[category as keyof typeof INTENT_STEMS] ?? []).some((stem) => parts.some((part) => wordFits(part, stem))) && intentEvidence.length > 0) {
      confidence = Math.max(confidence, 0.7);
    }
    const present = parts.filter((part) => [...words].some((word) => wordFits(word, part)) || (part.length > 3 && lowered.includes(part)));
    if (present.length > 0) confidence = Math.max(confidence, 0.5 + 0.35 * (present.length / parts.length));
    if (confidence > 0) matches.push({ skill, confidence: round2(confidence) });
  }
  return matches.sort((a, b) => b.confidence - a.confidence || a.skill.localeCompare(b.skill));
}
