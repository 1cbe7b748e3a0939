// winston, shaped to be Fastify's logger: JSON lines, one per event, each request's lines carrying
// its request id (Fastify binds `reqId` through child()). Secrets are redacted by key, wherever
// they sit in the logged object, before anything is written.
import winston from "winston";
import type { FastifyBaseLogger } from "fastify";

// Fastify expects pino's level names; winston is given the same ladder.
const LEVELS = { fatal: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 } as const;

const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|hash/i;
const REDACTED = "[redacted]";

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === "level" || key === "message") continue;
    // An absent value says nothing: left out of the line rather than shown as redacted.
    info[key] = SECRET_KEY.test(key) && info[key] !== undefined ? REDACTED : redact(info[key]);
  }
  return info;
});

export type Logger = FastifyBaseLogger;

export interface LoggerOptions {
  level: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to inspect what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  const logger = winston.createLogger({
    levels: LEVELS,
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), redactSecrets(), winston.format.json()),
    transports: [transport],
  });
  return adaptToFastify(logger);
}

/**
 * Fastify calls `log.info(obj, msg)` (pino's argument order) and `log.child(bindings)`.
 * winston takes `log.info(msg, meta)`, so each level is wrapped to swap them.
 */
function adaptToFastify(logger: winston.Logger): Logger {
  const call = (level: keyof typeof LEVELS) => (first: unknown, second?: unknown) => {
    // logger.log() formats (redaction, JSON) before its level filter; skip that for lines dropped anyway.
    if (!logger.isLevelEnabled(level)) return;
    if (typeof first === "string") logger.log(level, first, typeof second === "object" ? second : {});
    else if (first instanceof Error) logger.log(level, typeof second === "string" ? second : first.message, { err: first });
    else logger.log(level, typeof second === "string" ? second : "", (first ?? {}) as object);
  };
  const adapted = {
    fatal: call("fatal"),
    error: call("error"),
    warn: call("warn"),
    info: call("info"),
    debug: call("debug"),
    trace: call("trace"),
    silent: () => {},
    child: (bindings: Record<string, unknown>) => adaptToFastify(logger.child(bindings)),
    get level() {
      return logger.level;
    },
    set level(value: string) {
      logger.level = value;
    },
  };
  return adapted as unknown as Logger;
}
