// Whether someone wants a notification on a channel: one pure function, shared by the in-app
// consumer and the email digests, so both obey the same choices.
import { BUILT_IN_DEFAULTS, isSecurityKind, NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, type NotificationChannel, type NotificationKind } from "./kinds.ts";

/** Choices per kind and channel; what is absent was not chosen. */
export type PreferenceTable = Partial<Record<NotificationKind, Partial<Record<NotificationChannel, boolean>>>>;

export interface PreferenceRow {
  kind: string;
  channel: string;
  enabled: boolean;
}

/**
 * The answer, in order: security notices always; nothing about a ticket you muted; your choice;
 * the tenant's default; the built-in default.
 */
export function wants(preferences: PreferenceTable, defaults: PreferenceTable, kind: NotificationKind, channel: NotificationChannel, muted: boolean): boolean {
  if (isSecurityKind(kind)) return true;
  if (muted) return false;
  return preferences[kind]?.[channel] ?? defaults[kind]?.[channel] ?? BUILT_IN_DEFAULTS[kind][channel];
}

/** Rows of NotificationPreference or NotificationDefault as a table (unknown kinds or channels ignored). */
export function preferenceTable(rows: readonly PreferenceRow[]): PreferenceTable {
  const table: PreferenceTable = {};
  for (const row of rows) {
    if (!(NOTIFICATION_KINDS as readonly string[]).includes(row.kind) || !(NOTIFICATION_CHANNELS as readonly string[]).includes(row.channel)) continue;
    const kind = row.kind as NotificationKind;
    (table[kind] ??= {})[row.channel as NotificationChannel] = row.enabled;
  }
  return table;
}

export type PreferenceSource = "user" | "tenant" | "default" | "always";

/** Every kind on every channel with where its answer comes from (GET …/preferences; pass no user table for the tenant's defaults). */
export function effectivePreferences(defaults: PreferenceTable, preferences?: PreferenceTable) {
  return NOTIFICATION_KINDS.flatMap((kind) =>
    NOTIFICATION_CHANNELS.map((channel) => {
      const source: PreferenceSource = isSecurityKind(kind) ? "always" : preferences?.[kind]?.[channel] !== undefined ? "user" : defaults[kind]?.[channel] !== undefined ? "tenant" : "default";
      return { kind, channel, enabled: wants(preferences ?? {}, defaults, kind, channel, false), source };
    }),
  );
}
