// Locales (BCP 47 language tags: en, pt-BR), as users, articles and searches carry them: checked
// and stored in canonical case by Intl, so `PT-br` and `pt-BR` are one locale.
import { problems } from "./problem.ts";

/** The canonical form of a BCP 47 tag, or undefined when it is not one. */
export function canonicalLocale(tag: string): string | undefined {
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** The canonical form, or a 400 naming where the bad tag was (a body pointer or a query parameter). */
export function requireLocale(tag: string, where: { pointer: string } | { parameter: string }): string {
  const locale = canonicalLocale(tag);
  if (locale !== undefined) return locale;
  const detail = "is not a BCP 47 language tag (e.g. en, pt-BR)";
  throw "pointer" in where ? problems.invalidField(where.pointer, detail) : problems.invalidParameter(where.parameter, detail);
}
