// Sentiment: AFINN-165 word valences translated into many languages (multilang-sentiment, a fork
// of `sentiment` that keeps its negation handling), with a few support-desk phrases AFINN lacks.
import sentiment from "multilang-sentiment";
import type { Sentiment } from "../provider.ts";
import { round2 } from "./text.ts";

/** Support-desk words AFINN scores neutral or misses, though customers use them to complain. */
const SUPPORT_WORDS: Record<string, number> = {
  broken: -2, crash: -2, crashes: -2, crashed: -2, refund: -1, charged: -1, twice: -1, unacceptable: -3, overcharged: -3, "can't": -1, cannot: -1, still: -1, again: -1, outage: -3, down: -1, error: -2, errors: -2, fails: -2, failing: -2, failed: -2, lost: -2, missing: -2, never: -1, slow: -2, unusable: -3, ridiculous: -3, worst: -3, frustrated: -3, angry: -3, disappointed: -3,
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
  let result;
  try {
    result = sentiment(text, lang, { words: lang === "en" ? SUPPORT_WORDS : {} });
  } catch {
    // A language the word lists do not cover: English lists still catch English words in it.
    result = sentiment(text, "en", { words: SUPPORT_WORDS });
  }
  const score = round2(Math.tanh(result.score / 4));
  const label: Sentiment = score <= -THRESHOLD ? "negative" : score >= THRESHOLD ? "positive" : "neutral";
  // Far from the threshold: sure; no sentiment words at all: a guess that it is neutral.
  const matched = result.positive.length + result.negative.length;
  const confidence = matched === 0 ? 0.5 : round2(Math.min(1, 0.55 + Math.abs(Math.abs(score) - THRESHOLD) * 0.8 + Math.min(matched, 4) * 0.05));
  return { sentiment: label, score, confidence, words: [...new Set([...result.negative, ...result.positive])] };
}
