// Intent (category) vocabulary for the local provider: word stems per category in the languages
// the language detector most often reports for support mail. A stem matches any word starting
// with it ("refund" → refunds, refunded). The highest weighted total wins; none → "other".
import type { TriageCategory } from "../provider.ts";

export const INTENT_STEMS: Record<Exclude<TriageCategory, "other">, string[]> = {
  billing: ["invoice", "bill", "charge", "refund", "payment", "paid", "pay", "price", "pricing", "subscription", "receipt", "credit card", "vat", "rechnung", "zahlung", "bezahl", "abbuch", "erstatt", "gebühr", "factur", "paiement", "rembours", "prélev", "cobr", "reembols", "pago", "tarjeta", "fattura", "pagament", "rimbors", "betaling", "factuur"],
  account_access: ["login", "log in", "sign in", "password", "2fa", "two-factor", "locked", "lockout", "account", "reset", "anmeld", "passwort", "konto", "gesperrt", "connexion", "connecter", "mot de passe", "compte", "bloqué", "contraseña", "iniciar sesión", "cuenta", "acceso", "wachtwoord", "inloggen", "accesso"],
  bug: ["bug", "error", "crash", "broken", "not working", "doesn't work", "does not work", "fails", "failing", "exception", "glitch", "fehler", "absturz", "funktioniert nicht", "kaputt", "erreur", "plant", "ne fonctionne", "bogue", "fallo", "no funciona", "se cierra", "errore", "non funziona", "werkt niet", "fout"],
  outage: ["outage", "down", "unavailable", "not loading", "all users", "everyone", "offline", "503", "500", "ausfall", "nicht erreichbar", "panne", "indisponible", "caído", "caida", "no carga", "storing"],
  how_to: ["how do", "how can", "how to", "where can", "where do", "is it possible", "can i", "guide", "instructions", "wie kann", "wie geht", "anleitung", "comment faire", "comment puis", "est-il possible", "cómo", "como puedo", "dónde", "come posso", "hoe kan"],
  feature_request: ["feature", "would be great", "would be nice", "suggest", "suggestion", "request", "wish", "could you add", "please add", "roadmap", "funktion", "wunsch", "vorschlag", "fonctionnalité", "suggestion", "serait bien", "función", "sugerencia", "sería genial", "richiesta"],
  shipping: ["ship", "deliver", "tracking", "parcel", "package", "courier", "arriv", "order", "lieferung", "liefer", "paket", "sendung", "bestellung", "livraison", "colis", "commande", "envío", "envio", "paquete", "pedido", "entrega", "spedizion", "consegna", "ordine", "bezorg", "pakket"],
  cancellation: ["cancel", "terminate", "close my account", "delete my account", "unsubscribe", "kündig", "stornier", "résili", "annul", "cancelar", "darme de baja", "baja", "disdett", "annull", "opzeggen"],
  feedback: ["thank", "great job", "love", "awesome", "excellent", "well done", "compliment", "danke", "super", "merci", "génial", "gracias", "excelente", "grazie", "bedankt"],
};

/** How much each category's hits count: a complaint of an outage outweighs a polite "thanks". */
const WEIGHT: Partial<Record<TriageCategory, number>> = { outage: 1.6, bug: 1.2, billing: 1.2, cancellation: 1.3, account_access: 1.1, shipping: 1.1, feedback: 0.6 };

export interface IntentReading {
  category: TriageCategory;
  confidence: number;
  /** The stems that matched, per category (for the agent's notes). */
  evidence: string[];
}

function matches(text: string, stem: string): boolean {
  // Start of a word; phrases and stems may run on ("refund" matches "refunded").
  const escaped = stem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}`, "u").test(text);
}

export function readIntent(title: string, body: string): IntentReading {
  const text = `${title}\n${title}\n${body}`.toLowerCase();
  const scored = (Object.entries(INTENT_STEMS) as [TriageCategory, string[]][])
    .map(([category, stems]) => {
      const hits = stems.filter((stem) => matches(text, stem));
      return { category, hits, score: hits.length * (WEIGHT[category] ?? 1) };
    })
    .sort((a, b) => b.score - a.score);
  const [best, second] = scored;
  if (!best || best.score === 0) return { category: "other", confidence: 0.3, evidence: [] };
  const margin = best.score - (second?.score ?? 0);
  const confidence = Math.round(Math.min(0.95, 0.45 + margin * 0.15 + Math.min(best.hits.length, 3) * 0.05) * 100) / 100;
  return { category: best.category, confidence, evidence: best.hits };
}
