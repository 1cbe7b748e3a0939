// Durable background jobs (emails first): graphile-worker's queue in the schema `graphile_worker`
// of this database. A job is added in the same transaction as the change that causes it, so a job
// exists exactly when its change committed; the runner (src/workers.ts) retries a failed job with
// exponential backoff and picks up, after a crash, what a dead worker held.
//
// Roles (src/db/client.ts): the workers act as docket_system and get the whole queue; the API acts
// as docket_app and may only add jobs, through docket_enqueue_jobs (SECURITY DEFINER), so a request
// can neither read nor change the queue's rows (they hold addresses and payloads of every tenant).
import type pg from "pg";
import { Logger, run, runMigrations } from "graphile-worker";
import { connectSystemDatabase, type Db } from "./client.ts";
import type { Logger as AppLogger } from "../logger.ts";

export const JOB_SCHEMA = "graphile_worker";

/**
 * Installs or upgrades the queue's schema (graphile-worker's own migrations), then grants the two
 * roles what they need. Run by the migration runner as DATABASE_URL's role, after Prisma's
 * migrations (which created the roles); idempotent, so every start re-applies the grants to
 * whatever a newer graphile-worker added.
 */
export async function installJobQueue(databaseUrl: string, client: pg.Client): Promise<void> {
  await runMigrations({ connectionString: databaseUrl, schema: JOB_SCHEMA, logger: silentLogger });
  await client.query(`
    GRANT USAGE ON SCHEMA ${JOB_SCHEMA} TO docket_system;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${JOB_SCHEMA} TO docket_system;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${JOB_SCHEMA} TO docket_system;
    GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${JOB_SCHEMA} TO docket_system;
    -- graphile-worker turns row-level security on for its private tables (only their owner passes):
    -- the workers' role passes too.
    DO $$
    DECLARE
      private regclass;
    BEGIN
      FOR private IN SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = '${JOB_SCHEMA}'::regnamespace AND c.relkind = 'r' AND c.relrowsecurity LOOP
        IF NOT EXISTS (SELECT FROM pg_policy WHERE polrelid = private AND polname = 'docket_workers') THEN
          EXECUTE format('CREATE POLICY docket_workers ON %s TO docket_system USING (true) WITH CHECK (true)', private);
        END IF;
      END LOOP;
    END
    $$;
    -- Jobs, each {task, payload, runAt, jobKey, maxAttempts}, in one add_jobs call. A job key
    -- replaces the pending job's payload and run time, or with preserve_run_at keeps its run time.
    DROP FUNCTION IF EXISTS docket_enqueue_jobs(json);
    CREATE OR REPLACE FUNCTION docket_enqueue_jobs(jobs json, preserve_run_at boolean)
      RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        SELECT FROM ${JOB_SCHEMA}.add_jobs(ARRAY(
          SELECT ROW(job->>'task', job->'payload', NULL, (job->>'runAt')::timestamptz, (job->>'maxAttempts')::smallint, job->>'jobKey', NULL, NULL)::${JOB_SCHEMA}.job_spec
            FROM json_array_elements(jobs) AS job), preserve_run_at);
      $$;
    REVOKE ALL ON FUNCTION docket_enqueue_jobs(json, boolean) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION docket_enqueue_jobs(json, boolean) TO docket_app, docket_system;
    -- The one-job function of earlier versions, for their instances during a rolling upgrade.
    CREATE OR REPLACE FUNCTION docket_enqueue_job(task text, payload json, run_at timestamptz, job_key text, job_key_mode text, max_attempts integer)
      RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        SELECT FROM ${JOB_SCHEMA}.add_job(task, payload, run_at => run_at, job_key => job_key, job_key_mode => job_key_mode, max_attempts => max_attempts::smallint);
      $$;
    REVOKE ALL ON FUNCTION docket_enqueue_job(text, json, timestamptz, text, text, integer) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION docket_enqueue_job(text, json, timestamptz, text, text, integer) TO docket_app, docket_system;
  `);
}

export interface JobOptions {
  /** Not before this time (default: now). */
  runAt?: Date;
  /**
   * At most one pending job per key. With `preserveRunAt`, adding again keeps the first run time
   * and replaces the payload: a debounce window that opens with the first change (the digest).
   */
  jobKey?: string;
  preserveRunAt?: boolean;
  /** Attempts before the job is given up (default 10: about three hours of backoff). */
  maxAttempts?: number;
}

/** A job for enqueueJobs; a key replaces a pending job's payload and run time. */
export interface NewJob {
  task: string;
  payload: object;
  options?: Omit<JobOptions, "preserveRunAt">;
}

/**
 * Adds several jobs in one call, in the caller's transaction: a feed consumer queues a whole
 * batch's jobs at once. Each call costs PostgreSQL about a millisecond however many jobs it adds
 * (graphile-worker's add_jobs), and a consumer under load handles dozens of events a batch.
 * With `preserveRunAt`, a key keeps the pending job's run time (see JobOptions).
 */
export async function enqueueJobs(db: Db, jobs: readonly NewJob[], { preserveRunAt = false } = {}): Promise<void> {
  if (jobs.length === 0) return;
  const specs = jobs.map(({ task, payload, options = {} }) => ({ task, payload, runAt: options.runAt ?? null, jobKey: options.jobKey ?? null, maxAttempts: options.maxAttempts ?? 10 }));
  await db.$executeRaw`SELECT docket_enqueue_jobs(${JSON.stringify(specs)}::json, ${preserveRunAt})`;
}

/** Adds a job in the caller's transaction (or alone, when given the client). */
export async function enqueueJob(db: Db, task: string, payload: object, { preserveRunAt, ...options }: JobOptions = {}): Promise<void> {
  await enqueueJobs(db, [{ task, payload, options }], { preserveRunAt: Boolean(options.jobKey && preserveRunAt) });
}

// graphile-worker logs its migrations at info; the migration runner logs what matters itself.
const silentLogger = new Logger(() => () => {});

export type JobTask = (payload: unknown) => Promise<void>;

export interface JobRunnerOptions {
  databaseUrl: string;
  tasks: Record<string, JobTask>;
  /** Jobs in flight at once. */
  concurrency: number;
  /** The backstop poll for jobs that become due (LISTEN/NOTIFY wakes the runner for new ones). */
  pollMs: number;
  logger: AppLogger;
}

export interface JobRunner {
  stop(): Promise<void>;
}

/** graphile-worker's runner on a pool of its own acting as docket_system; stop() lets running jobs finish. */
export async function startJobRunner(options: JobRunnerOptions): Promise<JobRunner> {
  // A completion waits for a connection rather than fail under load (the default is a request's 5 s).
  const connection = connectSystemDatabase(options.databaseUrl, { poolSize: options.concurrency + 2, connectionTimeoutMs: 30_000 });
  const { logger } = options;
  // A connection dropped while checked out must not crash the process (graphile-worker reconnects).
  connection.pool.on("connect", (client) => client.on("error", (error) => logger.warn({ err: error }, "job queue connection lost")));
  const log = new Logger(() => (level, message, meta) => {
    // Its info lines narrate each job; ours are in the tasks. Failures (with the retry) are warnings.
    if (level === "error") logger.error(meta ?? {}, message);
    else if (level === "warning") logger.warn(meta ?? {}, message);
    else logger.debug(meta ?? {}, message);
  });
  const taskList = Object.fromEntries(Object.entries(options.tasks).map(([name, task]) => [name, (payload: unknown) => task(payload)]));
  const runner = await run({
    pgPool: connection.pool,
    schema: JOB_SCHEMA,
    taskList,
    concurrency: options.concurrency,
    pollInterval: options.pollMs,
    noHandleSignals: true,
    logger: log,
    // Completions and failures go through graphile-worker's batcher (flushed at once: delay 0),
    // which retries them and reports a lasting failure; unbatched, a completion whose connection
    // cannot be had rejects where nothing catches it.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  });
  return {
    async stop() {
      await runner.stop();
      // Resolves once the pool of workers has released everything (pending completions included).
      await runner.promise.catch((error: unknown) => logger.warn({ err: error }, "job runner stopped with an error"));
      await connection.close();
    },
  };
}
