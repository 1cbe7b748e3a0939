// The suggested priority: from urgency words (in the common languages), the intent and the sentiment.
import type { Priority, Sentiment, TriageCategory } from "../provider.ts";

const URGENT = ["urgent", "asap", "immediately", "emergency", "critical", "right now", "production is down", "all users", "everyone", "dringend", "sofort", "notfall", "urgence", "immédiatement", "urgente", "inmediato", "de inmediato", "subito", "spoed"];
const BUSINESS_IMPACT = ["customers", "revenue", "deadline", "today", "blocked", "cannot work", "can't work", "kunden", "heute", "clients", "aujourd'hui", "clientes", "hoy"];

export interface PriorityReading {
  priority: Priority;
  confidence: number;
  reasons: string[];
}

export function suggestPriority(text: string, category: TriageCategory, sentiment: Sentiment, sentimentScore: number): PriorityReading {
  const lowered = text.toLowerCase();
  const urgent = URGENT.filter((word) => lowered.includes(word));
  const impact = BUSINESS_IMPACT.filter((word) => lowered.includes(word));
  const reasons: string[] = [];
  if (urgent.length) reasons.push(`urgency words: ${urgent.join(", ")}`);
  if (impact.length) reasons.push(`business impact: ${impact.join(", ")}`);
  if (category === "outage" || (urgent.length > 0 && (category === "bug" || sentiment === "negative"))) {
    return { priority: "urgent", confidence: category === "outage" && urgent.length ? 0.85 : 0.65, reasons: [...reasons, category === "outage" ? "reads as an outage" : "urgent and negative"] };
  }
  if (urgent.length > 0 || impact.length > 0 || (sentiment === "negative" && sentimentScore <= -0.6) || category === "account_access") {
    return { priority: "high", confidence: 0.6, reasons: [...reasons, ...(sentimentScore <= -0.6 ? ["strongly negative"] : []), ...(category === "account_access" ? ["the requester is locked out"] : [])] };
  }
  if (category === "feature_request" || category === "feedback") return { priority: "low", confidence: 0.7, reasons: [`a ${category.replace("_", " ")}`] };
  return { priority: "normal", confidence: 0.55, reasons };
}
