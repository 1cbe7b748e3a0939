// @mentions in comment bodies. Two forms, both documented on CommentCreate.body:
//   @[Ada Admin](user:0192f1a0-…)   what an editor inserts: unambiguous, survives renames
//   @ada@acme.test                   typed by hand: the user with that email in the tenant
// Mentions are read from the comment as it is when the notification is made, never stored.

const BY_ID = /@\[[^\]\n]{0,200}\]\(user:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\)/g;
// Not preceded by a character of an address, so `x@y.z` inside an email address is not a mention.
const BY_EMAIL = /(?<![A-Za-z0-9._%+@-])@([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63})/g;
/** At most this many people are notified per comment: a paste of the address book mentions nobody extra. */
export const MAX_MENTIONS = 50;

export interface Mentions {
  userIds: string[];
  /** Lower-cased, as users' emails are stored. */
  emails: string[];
}

export function parseMentions(body: string): Mentions {
  const userIds = new Set<string>();
  const emails = new Set<string>();
  for (const match of body.matchAll(BY_ID)) userIds.add(match[1]!.toLowerCase());
  for (const match of body.matchAll(BY_EMAIL)) emails.add(match[1]!.replace(/\.$/, "").toLowerCase());
  return { userIds: [...userIds].slice(0, MAX_MENTIONS), emails: [...emails].slice(0, MAX_MENTIONS) };
}
