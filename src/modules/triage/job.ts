// Triage in the background. The `triage` consumer of the event feed turns each `ticket.created`
// into a durable job in its batch transaction (so no event is lost or queued twice: the job key is
// the ticket). The job then reads the ticket, asks the model — outside any transaction, since a
// model call can take seconds — and writes the triage and its `ticket.triaged` event in one short
// transaction. The row's key (tenant, ticket) guards the write: a job run again after a crash, or
// by a second worker, finds the row there and announces nothing.
import type { Database, Db } from "../../db/client.ts";
import { tenantScope } from "../../db/tenant-scope.ts";
import { enqueueJobs } from "../../db/job-queue.ts";
import { appendEvent } from "../../events/event-log.ts";
import type { FeedEvent } from "../../events/feed.ts";
import type { Logger } from "../../logger.ts";
import type { AiProvider } from "../../ai/provider.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { triageFields } from "./representation.ts";

export const TRIAGE_CONSUMER = "triage";
export const TRIAGE_JOB = "ai.triage";

export interface TriageJob {
  tenantId: string;
  ticketId: string;
}

/** The feed handler: one job per new ticket, the batch's queued in one call in the consumer's batch transaction. */
export async function queueTriageForEvents(tx: Db, events: readonly FeedEvent[]): Promise<void> {
  await enqueueJobs(
    tx,
    events
      .filter((event) => event.type === "ticket.created")
      .map((event) => ({
        task: TRIAGE_JOB,
        payload: { tenantId: event.tenantId, ticketId: event.entityId } satisfies TriageJob,
        options: { jobKey: `triage:${event.tenantId}:${event.entityId}`, maxAttempts: 8 },
      })),
  );
}

/** The skills vocabulary: every skill an active agent or admin of the tenant lists. */
async function tenantSkills(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db.user.findMany({ where: { tenantId, active: true, role: { in: ["agent", "admin"] } }, select: { skills: true } });
  return [...new Set(rows.flatMap((row) => row.skills))].sort();
}

export interface TriageTaskDeps {
  /** The workers' client (docket_system); every query names the tenant, and runs in its scope too. */
  db: Database;
  provider: AiProvider;
  logger: Logger;
}

export function triageTasks({ db, provider, logger }: TriageTaskDeps): Record<string, (payload: unknown) => Promise<void>> {
  return {
    async [TRIAGE_JOB](payload) {
      const { tenantId, ticketId } = payload as TriageJob;
      await tenantScope.run(tenantId, async () => {
        const ticket = await db.ticket.findUnique({ where: { tenantId_id: { tenantId, id: ticketId } } });
        if (!ticket || ticket.deletedAt) return;
        if (await db.ticketTriage.findUnique({ where: { tenantId_ticketId: { tenantId, ticketId } }, select: { ticketId: true } })) return;
        const skills = await tenantSkills(db, tenantId);
        // The model call: no transaction open (a slow model must not hold back the feed's horizon).
        const result = await provider.triage({ title: ticket.title, description: ticket.description, tags: ticket.tags, channel: ticket.channel, skills });
        const confidence = { ...result.confidence, skills: Object.fromEntries(result.skills.map((match) => [match.skill, match.confidence])) };
        await db.$transaction(async (tx) => {
          const inserted = await tx.ticketTriage.createManyAndReturn({
            data: [
              {
                tenantId,
                ticketId,
                language: result.language,
                sentiment: result.sentiment,
                sentimentScore: result.sentimentScore,
                category: result.category,
                suggestedPriority: result.suggestedPriority,
                skills: result.skills.map((match) => match.skill),
                notes: result.notes,
                keywords: result.keywords,
                confidence: confidence as Prisma.InputJsonValue,
                provider: result.provider,
                model: result.model,
              },
            ],
            skipDuplicates: true,
          });
          const row = inserted[0];
          // Someone else wrote it meanwhile: theirs stands, and they announced it.
          if (!row) return;
          await appendEvent(tx, { actor: { type: "system" } }, { tenantId, type: "ticket.triaged", entity: { type: "ticket", id: ticketId }, ticketId, internal: true, after: triageFields(row) });
        });
        logger.info({ tenantId, ticketId, provider: result.provider, model: result.model, category: result.category }, "ticket triaged");
      });
    },
  };
}
