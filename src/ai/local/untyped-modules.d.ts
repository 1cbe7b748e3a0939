// Type declarations for the NLP libraries that ship none.
declare module "multilang-sentiment" {
  interface SentimentResult {
    score: number;
    comparative: number;
    tokens: { value: string; negate: boolean }[];
    words: string[];
    positive: string[];
    negative: string[];
  }
  function sentiment(text: string, language?: string, options?: { words?: Record<string, number>; tokens?: string[] }): SentimentResult;
  export default sentiment;
}

declare module "nspell" {
  interface NSpell {
    correct(word: string): boolean;
    suggest(word: string): string[];
    add(word: string): NSpell;
  }
  function nspell(dictionary: { aff: Uint8Array; dic: Uint8Array }): NSpell;
  export default nspell;
}

declare module "stopword" {
  export function removeStopwords(tokens: string[], stopwords?: string[]): string[];
}
