// The model behind one interface: what triage, summaries and QA reviews ask of it, whichever
// provider answers (the local one built from NLP libraries, or an OpenAI-compatible endpoint).
// Every result names the provider and model that produced it, and is stored with them.

export const TRIAGE_CATEGORIES = ["billing", "account_access", "bug", "outage", "how_to", "feature_request", "shipping", "cancellation", "feedback", "other"] as const;
export type TriageCategory = (typeof TRIAGE_CATEGORIES)[number];
export const PRIORITIES = ["low", "normal", "high", "urgent"] as const;
export type Priority = (typeof PRIORITIES)[number];
export const SENTIMENTS = ["positive", "neutral", "negative"] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export interface Attribution {
  provider: string;
  model: string;
}

export interface TriageInput {
  title: string;
  description: string;
  tags: string[];
  channel: string;
  /** The tenant's agents' skills vocabulary: the only skills triage may suggest. */
  skills: string[];
}

export interface TriageResult extends Attribution {
  language: string;
  sentiment: Sentiment;
  /** -1 .. 1. */
  sentimentScore: number;
  category: TriageCategory;
  suggestedPriority: Priority;
  /** Best first, each from the input's vocabulary. */
  skills: { skill: string; confidence: number }[];
  keywords: string[];
  notes: string[];
  confidence: { language: number; sentiment: number; category: number; priority: number };
}

/** One message of a ticket's discussion, oldest first; the ticket's description is the first. */
export interface DiscussionMessage {
  author: string;
  role: "requester" | "agent" | "admin" | "user";
  internal: boolean;
  body: string;
  at: string;
}

export interface SummaryInput {
  title: string;
  status: string;
  messages: DiscussionMessage[];
}

export interface Entities {
  people: string[];
  organisations: string[];
  products: string[];
  dates: string[];
  amounts: string[];
  orderNumbers: string[];
}

export interface SummaryResult extends Attribution {
  /** ≤ 100 words: problem, what was done, status, next step. */
  summary: string;
  problem: string;
  actions: string;
  status: string;
  nextStep: string;
  entities: Entities;
}

export const QA_CATEGORIES = ["greeting", "empathy", "spelling_grammar", "closing", "solution_offered", "tone", "readability", "comprehension"] as const;
export type QaCategory = (typeof QA_CATEGORIES)[number];

export interface ReviewInput {
  /** What the customer wrote (the ticket and their comments), for comprehension. */
  customerMessages: string[];
  /** The agent replies under review. */
  replies: string[];
}

export interface CategoryScore {
  category: QaCategory;
  /** 0 .. 100. */
  score: number;
  /** Quotes from the replies that support the score (may be empty when something is missing). */
  evidence: string[];
  rationale: string;
}

export interface ReviewResult extends Attribution {
  categories: CategoryScore[];
}

export interface AiProvider {
  readonly provider: string;
  readonly model: string;
  triage(input: TriageInput): Promise<TriageResult>;
  summarize(input: SummaryInput): Promise<SummaryResult>;
  review(input: ReviewInput): Promise<ReviewResult>;
  /** Loads what the first call would (word lists, models), so that call does not stall the process. */
  warmUp?(): Promise<void>;
}

/** A model's answer that does not fit the schema, or an endpoint that keeps failing. */
export class AiProviderError extends Error {
  override name = "AiProviderError";
}

export const MAX_SUMMARY_WORDS = 100;

/** Cuts text to at most `max` words (a model may overrun the limit it was given). */
export function limitWords(text: string, max: number): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return words.length <= max ? words.join(" ") : `${words.slice(0, max).join(" ").replace(/[,;:.]$/, "")}…`;
}
