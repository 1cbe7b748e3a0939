// Entity recognition: people, organisations and products from compromise (a rule-based English
// tagger with a lexicon), dates and amounts from wink-nlp's entity recogniser, order numbers by their
// shape (letters/digits with "order"/"#" before them, which no general model knows).
import nlpCompromise from "compromise";
import type { Entities } from "../provider.ts";
import { its, nlp } from "./text.ts";

const ORDER_NUMBER = /(?:order|bestellung|commande|pedido|ordine|invoice|rechnung|facture|factura|ticket|case|ref(?:erence)?)\s*(?:no\.?|number|nr\.?|nummer|n[°º]|#)?\s*:?\s*#?([A-Z0-9][A-Z0-9-]{3,})/gi;
const HASH_NUMBER = /#([A-Z]{0,4}-?\d{4,})\b/g;

function unique(values: string[]): string[] {
  const seen = new Map<string, string>();
  for (const value of values) {
    const clean = value.trim().replace(/[.,;:!?]+$/, "");
    if (clean && !seen.has(clean.toLowerCase())) seen.set(clean.toLowerCase(), clean);
  }
  return [...seen.values()].slice(0, 20);
}

export function extractEntities(text: string): Entities {
  const doc = nlpCompromise(text);
  const people = doc.people().out("array") as string[];
  const organisations = doc.organizations().out("array") as string[];
  const places = new Set((doc.places().out("array") as string[]).map((place) => place.toLowerCase()));
  const known = new Set([...people, ...organisations].map((name) => name.toLowerCase()));
  // Products: proper nouns (with a model number after them) that are not a person, organisation or place.
  const products = (doc.match("#ProperNoun+ #Value?").not("(#Date|#Month|#WeekDay|#Holiday)").out("array") as string[]).filter((name) => {
    const lowered = name.toLowerCase().replace(/[.,;:!?]+$/, "");
    return !known.has(lowered) && !places.has(lowered) && ![...known].some((k) => k.includes(lowered) || lowered.includes(k));
  });
  const found = nlp.readDoc(text).entities().out(its.detail) as unknown as { value: string; type: string }[];
  const dates = found.filter((entity) => entity.type === "DATE" || entity.type === "TIME").map((entity) => entity.value);
  const amounts = found.filter((entity) => entity.type === "MONEY").map((entity) => entity.value);
  const orderNumbers = [...text.matchAll(ORDER_NUMBER), ...text.matchAll(HASH_NUMBER)].map((match) => match[1]!).filter((id) => /\d/.test(id));
  return {
    people: unique(people),
    organisations: unique(organisations),
    products: unique(products),
    dates: unique(dates),
    amounts: unique(amounts),
    orderNumbers: unique(orderNumbers),
  };
}
