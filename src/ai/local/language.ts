// Language detection: ELD (Efficient Language Detector), n-gram based and accurate on short texts.
// Its smallest database: the medium one cost the process 178 MiB of RSS against 88 for this, and
// scored the same on the labelled set (`npm run eval:triage`: 50/50 languages with either).
import { eld } from "eld/extrasmall";

export interface DetectedLanguage {
  language: string;
  confidence: number;
}

/** "und" (undetermined, ISO 639) when the text is too short or mixed to tell. */
export function detectLanguage(text: string): DetectedLanguage {
  const result = eld.detect(text);
  if (!result.language) return { language: "und", confidence: 0 };
  const scores = Object.values(result.getScores()).sort((a, b) => b - a);
  const [best = 0, second = 0] = scores;
  // The margin over the runner-up says more than the raw score; an unreliable answer is halved.
  const confidence = Math.max(0, Math.min(1, best * 0.5 + (best - second) * 1.5)) * (result.isReliable() ? 1 : 0.5);
  return { language: result.language, confidence: Math.round(confidence * 100) / 100 };
}
