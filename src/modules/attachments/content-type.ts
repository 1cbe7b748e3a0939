// What a file really is, from its first bytes (magic numbers, via file-type), never from what the
// client says alone. Text has no magic number, so text/plain and text/csv are accepted when the
// bytes are valid UTF-8 without NULs. Office files are containers: a .docx starts like any zip and
// a .doc like any Compound File, so the declared type refines the detected family.
import { fileTypeFromBuffer } from "file-type";
import type { Schemas } from "../../core/contract-types.ts";

export type AttachmentContentType = Schemas["AttachmentContentType"];

/** Every type Docket can verify; also the default allow-list (DESIGN: images, PDF, office, text, zip). */
export const ATTACHMENT_CONTENT_TYPES: readonly AttachmentContentType[] = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
  "text/plain",
  "text/csv",
  "application/zip",
  "application/msword",
  "application/vnd.ms-excel",
  "application/vnd.ms-powerpoint",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];

/** How many leading bytes the detection reads (file-type's own recommendation). */
export const SNIFF_BYTES = 4100;

const ZIP_FAMILY = new Set(["application/zip", ...ATTACHMENT_CONTENT_TYPES.filter((type) => type.includes("openxmlformats"))]);
const CFB_FAMILY = new Set(["application/x-cfb", "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"]);
const TEXT_TYPES = new Set(["text/plain", "text/csv"]);
/** Part types that say nothing about the file (what browsers send when they do not know). */
const UNINFORMATIVE = new Set(["", "application/octet-stream", "binary/octet-stream"]);

export const OCTET_STREAM = "application/octet-stream";

export function mediaTypeOf(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  try {
    // stream: a multi-byte character cut at the end of the sample is not an error.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The detected type: a file-type MIME type, "text" for plain text, or octet-stream for anything else. */
export async function detectContentType(head: Buffer): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return head.length > 0 && looksLikeText(head) ? "text" : OCTET_STREAM;
}

/** Do these bytes (their detected type) fit the declared type? */
export function fits(declared: string, detected: string): boolean {
  if (declared === detected) return true;
  if (detected === "text") return TEXT_TYPES.has(declared);
  if (detected === "application/zip") return ZIP_FAMILY.has(declared);
  if (detected === "application/x-cfb") return CFB_FAMILY.has(declared);
  return false;
}

/**
 * The type to record for an upload through the API: the declared type when the bytes fit it, the
 * detected one when the client declared nothing useful, else undefined (a contradiction).
 */
export function resolveContentType(declared: string, filename: string, detected: string): string | undefined {
  const hint = mediaTypeOf(declared);
  if (!UNINFORMATIVE.has(hint)) return fits(hint, detected) ? hint : undefined;
  if (detected === "text") return filename.toLowerCase().endsWith(".csv") ? "text/csv" : "text/plain";
  return detected;
}

/** A name fit to show and to put in Content-Disposition: no directories, no control characters. */
export function cleanFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 255);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "file" : cleaned;
}
