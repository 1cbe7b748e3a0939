// Time zones as this process's Intl knows them: what a wall clock computed here can be read in.

/** Whether Intl knows `timeZone` (IANA names such as Europe/Paris; Intl also takes offsets such as +05:00). */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone });
    return true;
  } catch {
    return false;
  }
}
