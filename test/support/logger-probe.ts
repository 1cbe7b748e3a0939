// A logger writing to memory, to check what the redaction lets through.
import { Writable } from "node:stream";
import { createLogger } from "../../src/logger.ts";

export function probe() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: "debug", stream }), lines };
}
