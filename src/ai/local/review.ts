// QA review of agent replies on Zendesk AutoQA's categories, each scored 0..100 with the quotes
// that support it: spelling by Hunspell's English dictionary (nspell + dictionary-en), readability
// by Flesch reading ease and tone by sentiment (wink-nlp), comprehension by how many of the
// customer's content words the replies take up; greeting, empathy, closing and solution by phrases.
import nspell from "nspell";
import dictionary from "dictionary-en";
import type { CategoryScore, ReviewInput } from "../provider.ts";
import { detectLanguage } from "./language.ts";
import { readSentiment } from "./sentiment.ts";
import { contentWords, its, nlp, sentencesOf, wordsOf } from "./text.ts";

// Building the Hunspell dictionary takes seconds: on the first review, not when the server starts.
let speller: ReturnType<typeof nspell> | undefined;
function spellChecker() {
  if (!speller) {
    speller = nspell(dictionary);
    for (const word of ["docket", "login", "email", "online", "signup", "app", "ok"]) speller.add(word);
  }
  return speller;
}

const GREETING = /^(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|thanks? (you )?for (reaching out|contacting|getting in touch|your (message|patience))|hallo|guten (tag|morgen)|bonjour|hola|buenos días|ciao|buongiorno|hej)\b/i;
const EMPATHY = /\b(sorry|apolog\w*|i understand|i can imagine|i know how|frustrat\w*|inconvenien\w*|appreciate your patience|thank you for your patience|that must be|entschuldig\w*|tut (mir|uns) leid|désolé|lo siento|disculp\w*)\b/i;
const CLOSING = /\b(let (me|us) know|anything else|happy to help|have a (great|nice|good) (day|week|weekend)|kind regards|best regards|regards|best wishes|cheers|feel free to (reach|contact)|don't hesitate|viele grüße|mit freundlichen|cordialement|saludos|un saludo)\b/i;
const SOLUTION = /\b(i|we)('ve| have)?\s+(reset|refunded|updated|changed|fixed|restarted|escalated|issued|credited|cancel+ed|replaced|enabled|disabled|added|removed|resolved|unlocked|applied|sent)\b|\b(please (try|go|click|open|update|clear|restart|follow|use)|you can (now )?\w+|to (fix|solve|resolve) this|here('s| is) how|follow these steps|steps?:|go to|click (on )?)\b/i;
const RUDE = /\b(obviously|as i (already )?said|you should have|read the (manual|docs)|not our (problem|fault)|calm down|whatever)\b/i;

const quote = (sentence: string) => (sentence.length > 160 ? `${sentence.slice(0, 157)}…` : sentence);

function category(category: CategoryScore["category"], score: number, evidence: string[], rationale: string): CategoryScore {
  return { category, score: Math.round(Math.max(0, Math.min(100, score))), evidence: evidence.slice(0, 3).map(quote), rationale };
}

export function reviewLocally(input: ReviewInput): CategoryScore[] {
  const replies = input.replies.filter((reply) => reply.trim());
  const sentences = replies.flatMap((reply) => sentencesOf(reply));
  const all = replies.join("\n\n");
  const { language } = detectLanguage(all || "-");

  const greetings = replies.map((reply) => sentencesOf(reply)[0] ?? "").filter((first) => GREETING.test(first.trim()));
  const empathy = sentences.filter((sentence) => EMPATHY.test(sentence));
  const closings = replies.flatMap((reply) => sentencesOf(reply).slice(-2)).filter((sentence) => CLOSING.test(sentence));
  const solutions = sentences.filter((sentence) => SOLUTION.test(sentence));
  const rude = sentences.filter((sentence) => RUDE.test(sentence) || /!{2,}/.test(sentence) || /\b[A-Z]{5,}\b/.test(sentence));

  // Spelling: English only (the dictionary's language); words with digits, capitals inside or
  // apostrophes are names, codes or contractions, not checked.
  let spelling: CategoryScore;
  if (language === "en") {
    const spell = spellChecker();
    const checked = (all.match(/\b[a-zA-Z][a-z]+\b/g) ?? []).filter((word) => word.length > 2);
    const wrong = [...new Set(checked.filter((word) => !spell.correct(word) && !spell.correct(word.toLowerCase())))];
    const ratio = checked.length ? wrong.length / checked.length : 0;
    spelling = category("spelling_grammar", 100 - ratio * 800, wrong.map((word) => `${word} (→ ${spell.suggest(word)[0] ?? "?"})`), wrong.length ? `${wrong.length} unknown word(s) in ${checked.length}` : "no spelling mistakes found");
  } else {
    spelling = category("spelling_grammar", 75, [], `not checked: the dictionary is English, the replies are "${language}"`);
  }

  const doc = nlp.readDoc(all || ".");
  const stats = doc.out(its.readabilityStats) as unknown as { fres: number; numOfWords: number; numOfSentences: number };
  const tone = readSentiment(all, language);
  const toneScore = rude.length ? 40 - rude.length * 10 : tone.sentiment === "negative" ? 60 : tone.sentiment === "positive" ? 95 : 85;

  // Comprehension: the customer's main content words the replies take up.
  const asked = new Map<string, number>();
  for (const message of input.customerMessages) for (const word of contentWords(wordsOf(message), language)) asked.set(word, (asked.get(word) ?? 0) + 1);
  const topics = [...asked].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([word]) => word);
  const replyWords = new Set(wordsOf(all));
  const covered = topics.filter((word) => replyWords.has(word) || [...replyWords].some((reply) => reply.length > 4 && word.length > 4 && reply.slice(0, 5) === word.slice(0, 5)));
  const comprehensionEvidence = sentences.filter((sentence) => covered.some((word) => sentence.toLowerCase().includes(word.slice(0, 5))));

  return [
    category("greeting", greetings.length ? 100 : 20, greetings, greetings.length ? "the reply opens with a greeting" : "no greeting at the start of the reply"),
    category("empathy", empathy.length ? Math.min(100, 70 + empathy.length * 15) : 35, empathy, empathy.length ? "acknowledges the customer's situation" : "no acknowledgement of the customer's situation"),
    spelling,
    category("closing", closings.length ? 100 : 30, closings, closings.length ? "ends with an offer of further help or a sign-off" : "no closing or offer of further help"),
    category("solution_offered", solutions.length ? Math.min(100, 70 + solutions.length * 15) : 20, solutions, solutions.length ? "states what was done or what to do" : "no concrete action or instruction"),
    category("tone", toneScore, rude.length ? rude : tone.sentiment === "positive" ? sentences.filter((sentence) => readSentiment(sentence, language).sentiment === "positive") : [], rude.length ? "curt or shouting phrases" : `sentiment of the replies is ${tone.sentiment}`),
    category("readability", stats.numOfWords === 0 ? 0 : Math.max(20, Math.min(100, stats.fres + 20)), [], `Flesch reading ease ${Math.round(stats.fres)} over ${stats.numOfSentences} sentence(s)`),
    category("comprehension", topics.length ? 30 + (70 * covered.length) / topics.length : 70, comprehensionEvidence, topics.length ? `takes up ${covered.length} of the customer's ${topics.length} main words (${topics.join(", ")})` : "the customer wrote nothing to compare with"),
  ];
}
