// The widget's settings as admins and visitors see them (never the identity secret).
import type { Schemas } from "../../core/contract-types.ts";
import type { WidgetSettings as WidgetSettingsRow } from "../../generated/prisma/client.ts";

export type WidgetSettings = Schemas["WidgetSettings"];
export type WidgetAppearance = Schemas["WidgetAppearance"];
export type IdentityMode = Schemas["WidgetIdentityMode"];

/** Until an admin saves settings the widget is off: no site is allowed, so nothing can embed it. */
export const DEFAULT_SETTINGS: WidgetSettings = {
  enabled: false,
  identity: "anonymous",
  allowedOrigins: [],
  appearance: {},
  secretSet: false,
  secretRotatedAt: null,
  updatedAt: null,
};

export function toWidgetSettings(row: WidgetSettingsRow | null): WidgetSettings {
  if (!row) return DEFAULT_SETTINGS;
  return {
    enabled: row.enabled,
    identity: row.identity as IdentityMode,
    allowedOrigins: row.allowedOrigins,
    appearance: row.appearance as WidgetAppearance,
    secretSet: row.sealedSecret !== null,
    secretRotatedAt: row.secretRotatedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}
