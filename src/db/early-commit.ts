// Committing without waiting for the WAL flush, and waiting for it afterwards, before answering.
//
// A transaction that holds a lock others queue on (a tenant's ticket numbering, above all) holds
// it until its commit returns, and a synchronous commit returns only once its WAL is on disk: the
// lock is held through the flush, so the queue moves one flush at a time however many
// connections wait. Committing with synchronous_commit off releases the lock as soon as the commit
// record is written; the flush still happens, and the next transaction's flush may include it.
// The request then waits for its own commit to be durable before it answers: a flush of a WAL
// record written after that commit covers the commit too (the log is written in order), and the
// caller never hears of a change a crash could still undo.
//
// What others may see: between the commit and the flush (at most wal_writer_delay, 200 ms; a few
// milliseconds under load), other sessions see the change, as a synchronous standby's primary
// shows a commit before the standby has it. A crash in that window loses the change and every
// later one (a suffix of the log: numbering stays gapless), and its caller got no answer.
import type pg from "pg";

/**
 * A select-list item that makes the current transaction commit without waiting for its flush:
 * put it in a statement the transaction runs anyway, so it costs no round trip of its own. The
 * caller must `waitForFlush` after the commit, before it answers.
 */
export const COMMIT_WITHOUT_WAITING = `set_config('synchronous_commit', 'off', true)`;

/**
 * Returns once everything committed so far is on disk: a transactional logical-decoding message
 * (a few bytes of WAL no one reads) committed synchronously, whose flush covers the log before it.
 * Works on PostgreSQL 15 and later, at any wal_level, for any role.
 */
export async function waitForFlush(pool: pg.Pool): Promise<void> {
  await pool.query(`SELECT pg_logical_emit_message(true, 'docket.flush', '')`);
}
