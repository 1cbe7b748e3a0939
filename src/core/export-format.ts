// How an export is written: CSV for spreadsheets, JSON lines for programs. Both stream a batch of
// records at a time (an array from the database cursor) and write each batch as one chunk of
// text, so there is one socket write per batch, not per row; the pipeline's backpressure reaches
// back to the cursor feeding it.
import { pipeline, Transform, type Readable, type TransformCallback } from "node:stream";
import { stringify } from "csv-stringify/sync";

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

/**
 * CSV as RFC 4180 (csv-stringify quotes what needs quoting), and a cell that starts with = + - @
 * (or a tab or carriage return) prefixed with ' so a spreadsheet shows it as text instead of
 * running it as a formula (OWASP's CSV injection).
 */
const CSV_OPTIONS = { escape_formulas: true, cast: { boolean: (value: boolean) => String(value) } };

/** Encodes each batch of records as one string; `opening` (CSV's header row) goes first, also when there are no records. */
function encoder<T>(encode: (batch: T[]) => string, opening = ""): Transform {
  let opened = false;
  const open = (stream: Transform) => {
    if (opened) return;
    opened = true;
    if (opening) stream.push(opening);
  };
  return new Transform({
    writableObjectMode: true,
    writableHighWaterMark: 1,
    transform(batch: T[], _encoding, done: TransformCallback) {
      open(this);
      done(null, encode(batch));
    },
    flush(done: TransformCallback) {
      open(this);
      done();
    },
  });
}

function csvEncoder<T>(shape: ExportShape<T>): Transform {
  const header = stringify([shape.columns.map((column) => column.header)], CSV_OPTIONS);
  return encoder<T>((batch) => stringify(batch.map((record) => shape.columns.map((column) => column.value(record))), CSV_OPTIONS), header);
}

function jsonLinesEncoder<T>(shape: ExportShape<T>): Transform {
  return encoder<T>((batch) => {
    let text = "";
    for (const record of batch) text += `${JSON.stringify(shape.json(record))}\n`;
    return text;
  });
}

/** Rows that are finished lines (`line`, written by the database), each with its newline. */
function lineJoiner(opening: string): Transform {
  return encoder<{ line: string }>((batch) => {
    let text = "";
    for (const row of batch) text += `${row.line}\n`;
    return text;
  }, opening);
}

/**
 * The response body of an export whose rows the database has already written as lines (a `line`
 * column): `source`'s batches joined, after CSV's header row of `header` when the format is CSV.
 */
export function exportLinesBody(format: ExportFormat, header: readonly string[], source: Readable): Readable {
  const body = lineJoiner(format === "csv" ? stringify([header], CSV_OPTIONS) : "");
  pipeline([source, body], () => {}); // as exportBody: a failure or an early close destroys both
  return body;
}

/**
 * The response body of an export: the batches of `source` (after `preparation`, if any) encoded
 * in `format`. Destroying the body (the client went away) destroys every stage back to `source`,
 * which closes the cursor behind it; a failure midway destroys the body with the error, so the
 * response is cut short rather than looking complete.
 */
export function exportBody<T>(format: ExportFormat, shape: ExportShape<T>, source: Readable, ...preparation: Transform[]): Readable {
  const stages = [...preparation, format === "csv" ? csvEncoder(shape) : jsonLinesEncoder(shape)];
  const body = stages.at(-1)!;
  pipeline([source, ...stages], () => {}); // pipeline destroys every stage on a failure or an early close
  return body;
}

/** Headers of a download named `<name>-<date>.<format>`. */
export function exportHeaders(format: ExportFormat, name: string, now = new Date()): Record<string, string> {
  const filename = `${name}-${now.toISOString().slice(0, 10)}.${format}`;
  return { "content-type": MEDIA_TYPES[format], "content-disposition": `attachment; filename="${filename}"` };
}
