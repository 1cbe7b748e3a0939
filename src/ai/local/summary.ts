// Extractive summary: the sentences that carry the discussion's most frequent content words
// (TF scoring over wink-nlp's sentences), arranged as problem → what was done → status → next step.
import { limitWords, MAX_SUMMARY_WORDS, type SummaryInput } from "../provider.ts";
import { detectLanguage } from "./language.ts";
import { contentWords, sentencesOf, wordsOf } from "./text.ts";

const ACTION = /\b(i|we)('ve| have| had)?\s+(reset|refunded|updated|changed|fixed|restarted|escalated|sent|issued|checked|credited|cancel+ed|replaced|enabled|disabled|added|removed|forwarded|resolved|unlocked|applied)\b|\b(please try|you can now|try (again|to)|go to|click)\b/i;
const QUESTION = /\?\s*$/;

type Scored = { sentence: string; score: number; index: number };

function frequencies(texts: string[], language: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const word of contentWords(wordsOf(text), language)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

function scoreSentences(text: string, counts: Map<string, number>, language: string): Scored[] {
  return sentencesOf(text).map((sentence, index) => {
    const words = contentWords(wordsOf(sentence), language);
    const score = words.reduce((sum, word) => sum + (counts.get(word) ?? 0), 0) / Math.sqrt(Math.max(words.length, 1));
    return { sentence, score, index };
  });
}

function best(scored: Scored[], count: number, prefer?: RegExp): string[] {
  return [...scored]
    .sort((a, b) => Number(prefer?.test(b.sentence) ?? 0) - Number(prefer?.test(a.sentence) ?? 0) || b.score - a.score || a.index - b.index)
    .slice(0, count)
    .sort((a, b) => a.index - b.index)
    .map((item) => item.sentence);
}

const clip = (text: string, words: number) => limitWords(text, words);

export function summarizeLocally(input: SummaryInput) {
  const { language } = detectLanguage(input.messages.map((message) => message.body).join("\n").slice(0, 2000) || input.title);
  const counts = frequencies([input.title, ...input.messages.map((message) => message.body)], language);
  const fromRequester = input.messages.filter((message) => message.role === "requester");
  const fromStaff = input.messages.filter((message) => message.role !== "requester");

  const opening = fromRequester[0]?.body ?? input.messages[0]?.body ?? "";
  const problemSentence = best(scoreSentences(opening, counts, language), 1)[0];
  const problem = clip(problemSentence && problemSentence !== input.title ? `${input.title}: ${problemSentence}` : input.title, 35);

  const staffSentences = fromStaff.flatMap((message) => scoreSentences(message.body, counts, language));
  const done = best(staffSentences, 2, ACTION);
  const actions = done.length ? clip(done.join(" "), 30) : "No reply from the team yet.";

  const status = `The ticket is ${input.status.replace("_", " ")}.`;
  const last = input.messages.at(-1);
  let nextStep: string;
  if (input.status === "solved" || input.status === "closed") nextStep = "None unless the requester reopens it.";
  else if (!last || last.role === "requester") {
    const ask = last ? best(scoreSentences(last.body, counts, language), 1)[0] : undefined;
    nextStep = clip(ask ? `Answer the requester's latest message: "${ask}"` : "Reply to the requester.", 25);
  } else if (QUESTION.test(last.body.trim()) || sentencesOf(last.body).some((sentence) => QUESTION.test(sentence))) nextStep = "Wait for the requester to answer the team's question.";
  else nextStep = "Confirm with the requester that the problem is solved.";

  const summary = limitWords(`Problem: ${problem} Done: ${actions} Status: ${status} Next: ${nextStep}`, MAX_SUMMARY_WORDS);
  return { summary, problem, actions, status, nextStep };
}
