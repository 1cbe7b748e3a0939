// Notification emails are digests: the first notification due by email about a ticket schedules
// one job for (person, ticket) a short window ahead, and every later one within the window joins
// it (graphile-worker's job_key with preserve_run_at keeps the first run time), so ten quick
// comments make one email. Security notices are not about a ticket and go at once. Scheduled in
// the transaction that makes the notifications, so a digest is due exactly when they committed.
import type { Db } from "../../db/client.ts";
import { enqueueJob } from "../../db/job-queue.ts";

export const DIGEST_JOB = "email.notification_digest";

export interface DigestJob {
  tenantId: string;
  userId: string;
  /** Null: notices about the account itself (security notices). */
  ticketId: string | null;
}

export interface DueByEmail {
  tenantId: string;
  userId: string;
  ticketId: string | null;
}

export function digestScheduler(windowSeconds: number) {
  return async function scheduleDigests(tx: Db, due: readonly DueByEmail[]): Promise<void> {
    const jobs = new Map<string, DigestJob>();
    for (const { tenantId, userId, ticketId } of due) jobs.set(`${tenantId}:${userId}:${ticketId ?? "account"}`, { tenantId, userId, ticketId });
    for (const [key, job] of jobs) {
      const runAt = new Date(Date.now() + (job.ticketId === null ? 0 : windowSeconds * 1000));
      await enqueueJob(tx, DIGEST_JOB, job, { jobKey: `notification-digest:${key}`, preserveRunAt: true, runAt });
    }
  };
}
