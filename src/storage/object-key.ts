// Object keys are built here and only here: from ids the server chose, never from anything the
// client sent, and always prefixed by tenant and ticket so a key can never cross either.
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const KEY = new RegExp(`^tenants/${UUID}/tickets/${UUID}/attachments/${UUID}$`);

export function attachmentKey(tenantId: string, ticketId: string, attachmentId: string): string {
  const key = `tenants/${tenantId}/tickets/${ticketId}/attachments/${attachmentId}`.toLowerCase();
  if (!KEY.test(key)) throw new Error(`not an attachment key: ${key}`);
  return key;
}

/** A second wall for the local driver, whose keys become file paths. */
export function isAttachmentKey(key: string): boolean {
  return KEY.test(key);
}
