// Arrange helpers for attachments: sample files whose first bytes are what they claim (or not),
// a ticket to attach them to, and the presigned flow as a browser would run it.
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";

/** A 1×1 PNG. */
export const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
export const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
/** HTML of exactly `length` bytes: what an attacker would swap in for a registered file. */
export function htmlOfLength(length: number): Buffer {
  const html = "<html><body><script>alert(document.cookie)</script></body></html>";
  return Buffer.from(html.padEnd(length, " ").slice(0, length));
}

export const CSV = Buffer.from("id,title\n1,Printer on fire\n2,Coffee machine empty\n");

export async function createTicket(client: DocketClient, title = "Printer on fire"): Promise<Schemas["Ticket"]> {
  const { data, error } = await client.POST("/v1/tickets", { body: { title } });
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!;
}

export async function requestUpload(client: DocketClient, ticketId: string, file: { filename: string; contentType: string; size: number }) {
  return client.POST("/v1/tickets/{ticketId}/attachments/upload-url", { params: { path: { ticketId } }, body: file });
}

/** upload-url, PUT the bytes where it says, register: what a browser does. */
export async function uploadPresigned(client: DocketClient, ticketId: string, filename: string, contentType: string, bytes: Buffer, extra: { commentId?: string } = {}) {
  const presign = await requestUpload(client, ticketId, { filename, contentType, size: bytes.length });
  expect(presign.error, JSON.stringify(presign.error)).toBeUndefined();
  const { uploadId, url, method, headers } = presign.data!;
  const put = await fetch(url, { method, headers, body: bytes });
  expect(put.status, await put.clone().text()).toBe(200);
  return client.POST("/v1/tickets/{ticketId}/attachments", { params: { path: { ticketId } }, body: { uploadId, ...extra } });
}

export function formWith(files: Array<{ name: string; type?: string; bytes: Buffer }>): FormData {
  const form = new FormData();
  for (const file of files) form.append("file", new Blob([new Uint8Array(file.bytes)], file.type ? { type: file.type } : {}), file.name);
  return form;
}

/** multipart through the API (openapi-fetch would serialize a body as JSON; FormData goes as is). */
export async function uploadFiles(baseUrl: string, token: string, ticketId: string, form: FormData, query = "") {
  const response = await fetch(`${baseUrl}/v1/tickets/${ticketId}/attachments/files${query}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, contentType: response.headers.get("content-type"), body: (await response.json()) as Record<string, unknown> & { data?: Schemas["Attachment"][] } };
}
