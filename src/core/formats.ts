// What the contract's formats mean here: values PostgreSQL can store and compare and JavaScript's
// Date can hold. The request validator and the cursor decoder both judge input by these, so a
// value that passes can never fail later as a database cast (a 500).

/** Canonical 8-4-4-4-12 hex only: PostgreSQL's uuid input also takes braces and other forms. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * RFC 3339 date-time with a zone. No leap second (neither Date nor PostgreSQL keeps one), a real
 * calendar day (Date would roll 02-30 into March, PostgreSQL refuses it), an offset PostgreSQL
 * accepts (at most 15:59), and an instant within years 0001–9999 in UTC (PostgreSQL's range
 * starts at 4713 BC and Date's formatting changes past 9999).
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const EARLIEST = Date.parse("0001-01-01T00:00:00Z");
const LATEST = Date.parse("9999-12-31T23:59:59.999Z");

export function isDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeapYear(year) ? 1 : 0);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return false;
  if (match[7] !== undefined && (Number(match[8]) > 15 || Number(match[9]) > 59)) return false;
  const instant = Date.parse(value.toUpperCase());
  return instant >= EARLIEST && instant <= LATEST;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate has no UTF-8 encoding. */
export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

/** The largest value of PostgreSQL's bigint (sequence numbers, transaction ids in practice). */
export const BIGINT_MAX = 9_223_372_036_854_775_807n;
