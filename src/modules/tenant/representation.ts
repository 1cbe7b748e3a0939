import type { Tenant as TenantRow } from "../../generated/prisma/client.ts";
import type { Schemas } from "../../core/contract-types.ts";

export type Tenant = Schemas["Tenant"];
export type TenantSettings = Schemas["TenantSettings"];
export type PlatformTenant = Schemas["PlatformTenant"];

export function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    settings: row.settings as TenantSettings,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The operator's view adds the soft-delete state. */
export function toPlatformTenant(row: TenantRow): PlatformTenant {
  return { ...toTenant(row), status: row.deletedAt ? "deleted" : row.status, deletedAt: row.deletedAt?.toISOString() ?? null };
}
