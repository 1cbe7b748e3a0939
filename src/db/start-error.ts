/** The database cannot be reached or started for a reason the user can fix; the message says how, in one line. */
export class DatabaseStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseStartError";
  }
}
