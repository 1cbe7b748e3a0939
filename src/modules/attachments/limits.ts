// The limits that apply to a tenant's attachments: the server's cap and full list of verifiable
// types, narrowed by the tenant's settings (attachmentMaxBytes, attachmentContentTypes).
import type { AttachmentLimits } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import type { Schemas } from "../../core/contract-types.ts";
import { problems } from "../../core/problem.ts";
import { ATTACHMENT_CONTENT_TYPES } from "./content-type.ts";

/** Files per request through the API. */
export const MAX_FILES_PER_REQUEST = 5;

export interface TenantAttachmentLimits {
  maxBytes: number;
  allowedTypes: readonly string[];
}

export async function tenantLimits(db: Db, tenantId: string, server: AttachmentLimits): Promise<TenantAttachmentLimits> {
  const tenant = await db.tenant.findUnique({ where: { id: tenantId }, select: { settings: true } });
  const settings = (tenant?.settings ?? {}) as Schemas["TenantSettings"];
  return {
    maxBytes: Math.min(settings.attachmentMaxBytes ?? server.maxBytes, server.maxBytes),
    allowedTypes: settings.attachmentContentTypes ?? ATTACHMENT_CONTENT_TYPES,
  };
}

export function checkSize(limits: TenantAttachmentLimits, size: number): void {
  if (size > limits.maxBytes) throw problems.attachmentTooLarge(limits.maxBytes);
}

export function checkType(limits: TenantAttachmentLimits, contentType: string): void {
  if (!limits.allowedTypes.includes(contentType)) throw problems.attachmentTypeNotAllowed(contentType, limits.allowedTypes);
}
