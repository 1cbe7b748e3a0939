// Object keys are built here and only here: from ids the server chose, never from anything the
// client sent, and always prefixed by tenant and ticket so a key can never cross either.
//
// Two kinds of key. A presigned upload URL addresses an upload key only; registration moves the
// checked object to its attachment key, which no URL can ever write, so the bytes that were
// checked are the bytes served (a still-valid upload URL can no longer swap them). Upload keys
// share one top-level prefix so a bucket lifecycle rule can expire whatever is left there.
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ATTACHMENT_KEY = new RegExp(`^tenants/(${UUID})/tickets/(${UUID})/attachments/(${UUID})$`);
const UPLOAD_KEY = new RegExp(`^uploads/tenants/(${UUID})/tickets/(${UUID})/(${UUID})$`);

export const UPLOAD_KEY_PREFIX = "uploads/";

function checked(key: string, pattern: RegExp): string {
  if (!pattern.test(key)) throw new Error(`not a storage key: ${key}`);
  return key;
}

/** Where a registered attachment lives, and the only key downloads are signed for. */
export function attachmentKey(tenantId: string, ticketId: string, attachmentId: string): string {
  return checked(`tenants/${tenantId}/tickets/${ticketId}/attachments/${attachmentId}`.toLowerCase(), ATTACHMENT_KEY);
}

/** Where a presigned upload lands until it is registered. */
export function uploadKey(tenantId: string, ticketId: string, uploadId: string): string {
  return checked(`${UPLOAD_KEY_PREFIX}tenants/${tenantId}/tickets/${ticketId}/${uploadId}`.toLowerCase(), UPLOAD_KEY);
}

/** The attachment key an upload key is registered under (same tenant, ticket and id). */
export function attachmentKeyOfUpload(key: string): string {
  const [, tenantId, ticketId, id] = UPLOAD_KEY.exec(key) ?? [];
  if (!tenantId || !ticketId || !id) throw new Error(`not an upload key: ${key}`);
  return attachmentKey(tenantId, ticketId, id);
}

export function isUploadKey(key: string): boolean {
  return UPLOAD_KEY.test(key);
}

/** A second wall for the local driver, whose keys become file paths. */
export function isStorageKey(key: string): boolean {
  return ATTACHMENT_KEY.test(key) || UPLOAD_KEY.test(key);
}
