// What notifications there are. A notification's kind is its `reason` (GitHub's word): why this
// person is told. Preferences are set per kind and channel.
import type { Schemas } from "../../core/contract-types.ts";

export type NotificationKind = Schemas["NotificationKind"];
export type NotificationChannel = Schemas["NotificationChannel"];

export const NOTIFICATION_KINDS = [
  "assigned",
  "requester",
  "mentioned",
  "follower",
  "comment",
  "status_changed",
  "password_changed",
  "api_key_created",
] as const satisfies readonly NotificationKind[];

export const NOTIFICATION_CHANNELS = ["in_app", "email"] as const satisfies readonly NotificationChannel[];

/** Security notices: sent on every channel whatever the preferences or mutes say, and also when you did it yourself (someone else may have). */
export const SECURITY_KINDS: ReadonlySet<NotificationKind> = new Set<NotificationKind>(["password_changed", "api_key_created"]);

export function isSecurityKind(kind: NotificationKind): boolean {
  return SECURITY_KINDS.has(kind);
}

/**
 * The built-in defaults, where neither the user nor the tenant chose: everything in the app; by
 * email, what is addressed to you personally (your ticket's replies, assignments, mentions), not
 * the traffic of tickets you merely follow.
 */
export const BUILT_IN_DEFAULTS: Readonly<Record<NotificationKind, Readonly<Record<NotificationChannel, boolean>>>> = {
  assigned: { in_app: true, email: true },
  requester: { in_app: true, email: true },
  mentioned: { in_app: true, email: true },
  follower: { in_app: true, email: false },
  comment: { in_app: true, email: false },
  status_changed: { in_app: true, email: false },
  password_changed: { in_app: true, email: true },
  api_key_created: { in_app: true, email: true },
};
