// How an export is written: CSV for spreadsheets, JSON lines for programs. Both stream: records go
// in one at a time and leave as text in chunks of about 64 KB (one socket write per chunk, not per
// row), and the pipeline's backpressure reaches back to the database cursor feeding it.
import { pipeline, Transform, type Readable, type TransformCallback } from "node:stream";
import { stringify } from "csv-stringify";

export type ExportFormat = "csv" | "jsonl";

/** One CSV column: its header and how a record fills it (null: an empty cell). */
export interface CsvColumn<T> {
  header: string;
  value: (record: T) => string | number | boolean | null;
}

/** What an export shows of a record: CSV's columns, and the JSON document of a line. */
export interface ExportShape<T> {
  columns: readonly CsvColumn<T>[];
  json: (record: T) => unknown;
}

export interface ExportDownload {
  headers: Record<string, string>;
  body: Readable;
}

const MEDIA_TYPES: Record<ExportFormat, string> = { csv: "text/csv; charset=utf-8", jsonl: "application/x-ndjson" };
const CHUNK_CHARS = 64 * 1024;

/** Gathers small strings into chunks of about CHUNK_CHARS. */
class Coalesce extends Transform {
  private pending: string[] = [];
  private size = 0;
  private readonly encode: (chunk: unknown) => string;

  constructor(encode: (chunk: unknown) => string, objectInput: boolean) {
    super({ writableObjectMode: objectInput, decodeStrings: false });
    this.encode = encode;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, done: TransformCallback): void {
    const text = this.encode(chunk);
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= CHUNK_CHARS) this.release();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.release();
    done();
  }

  private release(): void {
    if (this.pending.length === 0) return;
    this.push(this.pending.join(""));
    this.pending = [];
    this.size = 0;
  }
}

/**
 * CSV as RFC 4180 (csv-stringify quotes what needs quoting), with the header row even when there
 * are no records, and a cell that starts with = + - @ (or a tab or carriage return) prefixed with
 * ' so a spreadsheet shows it as text instead of running it as a formula (OWASP's CSV injection).
 */
function csvEncoder<T>(shape: ExportShape<T>): Transform[] {
  const csv = stringify({
    header: true,
    columns: shape.columns.map((column) => column.header),
    escape_formulas: true,
    cast: { boolean: (value) => String(value) },
  });
  const toRow = new Transform({
    objectMode: true,
    transform(record: T, _encoding, done) {
      done(null, shape.columns.map((column) => column.value(record)));
    },
  });
  return [toRow, csv, new Coalesce((chunk) => String(chunk), false)];
}

function jsonLinesEncoder<T>(shape: ExportShape<T>): Transform[] {
  return [new Coalesce((record) => `${JSON.stringify(shape.json(record as T))}\n`, true)];
}

/**
 * The response body of an export: the records of `source` (after `preparation`, if any) encoded in
 * `format`. Destroying the body (the client went away) destroys every stage back to `source`,
 * which closes the cursor behind it; a failure midway destroys the body with the error, so the
 * response is cut short rather than looking complete.
 */
export function exportBody<T>(format: ExportFormat, shape: ExportShape<T>, source: Readable, ...preparation: Transform[]): Readable {
  const stages = [...preparation, ...(format === "csv" ? csvEncoder(shape) : jsonLinesEncoder(shape))];
  const body = stages.at(-1)!;
  pipeline([source, ...stages], () => {}); // pipeline destroys every stage on a failure or an early close
  return body;
}

/** Headers of a download named `<name>-<date>.<format>`. */
export function exportHeaders(format: ExportFormat, name: string, now = new Date()): Record<string, string> {
  const filename = `${name}-${now.toISOString().slice(0, 10)}.${format}`;
  return { "content-type": MEDIA_TYPES[format], "content-disposition": `attachment; filename="${filename}"` };
}
