// Shared text plumbing for the local provider: sentences and words (wink-nlp for sentence
// boundaries, which knows abbreviations and numbers), stopwords per language (`stopword`).
import winkNLP from "wink-nlp";
import model from "wink-eng-lite-web-model";
import * as stopword from "stopword";

export const nlp = winkNLP(model);
export const its = nlp.its;

export function sentencesOf(text: string): string[] {
  if (!text.trim()) return [];
  return nlp
    .readDoc(text)
    .sentences()
    .out()
    .map((sentence) => sentence.trim())
    .filter(Boolean);
}

/** Lower-cased words of letters (any script) and digits, in order. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
}

/** ISO 639-1 (what the detector answers) → the ISO 639-3 names `stopword` exports its lists under. */
const STOPWORD_LISTS: Record<string, string> = {
  en: "eng", de: "deu", fr: "fra", es: "spa", it: "ita", pt: "por", nl: "nld", sv: "swe", da: "dan", nb: "nob", no: "nob", fi: "fin", pl: "pol", ru: "rus", tr: "tur", cs: "ces",
};

/** The words that carry meaning: stopwords of the language (and English, which support text mixes in) removed. */
export function contentWords(words: string[], language: string): string[] {
  const lists = stopword as unknown as Record<string, string[] | undefined>;
  const stop = [...(lists.eng ?? []), ...(lists[STOPWORD_LISTS[language] ?? "eng"] ?? [])];
  return stopword.removeStopwords(words, stop).filter((word) => word.length > 2 && !/^\d+$/.test(word));
}

/** Words ranked by frequency (title words count double), for keywords and sentence scores. */
export function keywordsOf(title: string, body: string, language: string, limit = 8): string[] {
  const counts = new Map<string, number>();
  const add = (words: string[], weight: number) => {
    for (const word of contentWords(words, language)) counts.set(word, (counts.get(word) ?? 0) + weight);
  };
  add(wordsOf(title), 2);
  add(wordsOf(body), 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([word]) => word);
}

export const clamp01 = (value: number) => Math.max(0, Math.min(1, value));
export const round2 = (value: number) => Math.round(value * 100) / 100;
