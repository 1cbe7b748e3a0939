// Prisma batches the findUnique calls made in one tick into one query, across callers, and runs
// the batch on process.nextTick: in the async context of whoever came first. With the tenant
// carried in that context (tenant-scope.ts), two tenants' concurrent look-ups would share one
// query under the first one's tenant, and the second would find nothing. This keeps batches
// within one tenant and runs each in its own tenant's scope.
//
// It reaches into Prisma's request handler (`_requestHandler.dataloader`, Prisma 7); if that shape
// changes, start-up fails here rather than requests quietly answering 404 under load
// (test/row-level-security.test.ts covers the behaviour).
import type { PrismaClient } from "../generated/prisma/client.ts";
import { tenantScope } from "./tenant-scope.ts";

interface BatchLoaderOptions {
  batchBy(request: object): string | undefined;
  singleLoader(request: object): Promise<unknown>;
  batchLoader(requests: object[]): Promise<unknown>;
}

const TENANT = Symbol("docket.tenant");
type Tagged = { [TENANT]?: string };

export function scopePrismaBatches(prisma: PrismaClient): void {
  const options = (prisma as unknown as { _requestHandler?: { dataloader?: { options?: BatchLoaderOptions } } })._requestHandler?.dataloader?.options;
  if (typeof options?.batchBy !== "function" || typeof options.singleLoader !== "function" || typeof options.batchLoader !== "function") {
    throw new Error("Prisma's request batching is not where src/db/prisma-batches.ts expects it (Prisma upgraded?): adapt it before running.");
  }
  const { batchBy, singleLoader, batchLoader } = options;
  options.batchBy = (request: object & Tagged) => {
    const tenantId = tenantScope.current();
    request[TENANT] = tenantId;
    const key = batchBy(request);
    return key === undefined ? undefined : `${key}|tenant:${tenantId}`;
  };
  options.singleLoader = (request: object & Tagged) => tenantScope.run(request[TENANT] ?? tenantScope.current(), () => singleLoader(request));
  options.batchLoader = (requests: Array<object & Tagged>) => tenantScope.run(requests[0]?.[TENANT] ?? tenantScope.current(), () => batchLoader(requests));
}
