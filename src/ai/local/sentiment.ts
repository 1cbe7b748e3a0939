// Sentiment: AFINN-165 word valences translated into many languages (multilang-sentiment, a fork
// of `sentiment` that keeps its negation handling), with a few support-desk phrases AFINN lacks.
import sentiment from "multilang-sentiment";
import type { Sentiment } from "../provider.ts";
import { round2, wordsOf } from "./text.ts";

/**
 * Support-desk words the AFINN lists miss or score neutral though customers complain with them,
 * per language; and greetings and politeness formulas ("Bonjour", "Bitte", "por favor") that the
 * translated lists score positive although a complaint opens with them as often as praise does.
 */
const SUPPORT_WORDS: Record<string, Record<string, number>> = {
  en: {
    broken: -2, crash: -2, crashes: -2, crashed: -2, refund: -1, charged: -1, twice: -1, unacceptable: -3, overcharged: -3, "can't": -1, cannot: -1, still: -1, outage: -3,
    error: -2, errors: -2, fails: -2, failing: -2, failed: -2, lost: -2, missing: -2, slow: -2, unusable: -3, ridiculous: -3, worst: -3, frustrated: -3, angry: -3, disappointed: -3,
    damaged: -2, locked: -1, hello: 0, hi: 0, please: 0,
  },
  de: { fehler: -2, kaputt: -2, ärgerlich: -2, frustrierend: -3, enttäuscht: -3, gesperrt: -2, abgelehnt: -2, verloren: -2, doppelt: -1, zweimal: -1, beschädigt: -2, dringend: -1, hallo: 0, bitte: 0 },
  fr: { panne: -3, plante: -2, inacceptable: -3, frustrant: -3, refusé: -2, erreur: -2, bloqué: -2, double: -1, rembourser: -1, bonjour: 0, merci: 1 },
  es: { caído: -3, fallo: -2, molesto: -2, bloqueada: -2, bloqueado: -2, error: -2, duplicado: -1, cobrado: -1, hola: 0, favor: 0 },
  it: { sbagliato: -2, sbagliata: -2, errore: -2, rimborsare: -1, buongiorno: 0 },
  nl: { vervelend: -2, fout: -2, kapot: -2, hallo: 0, graag: 0 },
};

export interface SentimentReading {
  sentiment: Sentiment;
  /** -1 .. 1 */
  score: number;
  confidence: number;
  /** The words that carried it, strongest first. */
  words: string[];
}

/** Where the tanh-squashed AFINN score turns negative or positive. */
const THRESHOLD = 0.2;

export function readSentiment(text: string, language: string): SentimentReading {
  const lang = language === "und" ? "en" : language;
  // A fresh copy each call: the library rewrites the injected object in place.
  // Our own tokens, padded with empty ones (which it skips) to 100: under 100 tokens the library
  // fuzzy-matches every unknown word against its whole list, ~0.5 s a ticket, for little gain.
  const tokens = wordsOf(text);
  const padded = tokens.length >= 100 ? tokens : [...tokens, ...Array<string>(100 - tokens.length).fill("")];
  const words = (of: string) => ({ words: { ...(SUPPORT_WORDS[of] ?? {}) }, tokens: padded });
  let result;
  try {
    result = sentiment(text, lang, words(lang));
  } catch {
    // A language the word lists do not cover: English lists still catch English words in it.
    result = sentiment(text, "en", words("en"));
  }
  const score = round2(Math.tanh(result.score / 4));
  const label: Sentiment = score <= -THRESHOLD ? "negative" : score >= THRESHOLD ? "positive" : "neutral";
  // Far from the threshold: sure; no sentiment words at all: a guess that it is neutral.
  const matched = result.positive.length + result.negative.length;
  const confidence = matched === 0 ? 0.5 : round2(Math.min(1, 0.55 + Math.abs(Math.abs(score) - THRESHOLD) * 0.8 + Math.min(matched, 4) * 0.05));
  return { sentiment: label, score, confidence, words: [...new Set([...result.negative, ...result.positive])] };
}
