// Arrange and assert helpers for notifications: the consumer works after commit, so a test waits
// until it has read every committed event before saying what is (or is not) in an inbox.
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";
import { feedLag } from "../../src/events/feed.ts";
import type { TestServer } from "./server.ts";
import { eventually } from "./webhook-receiver.ts";

/** Resolves once the notifications consumer has handled every event committed so far. */
export async function settled(server: TestServer): Promise<void> {
  await eventually(async () => {
    const lag = (await feedLag(server.database.system.prisma)).find((consumer) => consumer.consumer === "notifications");
    expect(lag?.eventsBehind).toBe(0);
  });
}

/** Every in-app notification of the client's user, newest first (all pages). */
export async function inbox(client: DocketClient, query: { unread?: boolean } = {}): Promise<Schemas["Notification"][]> {
  const all: Schemas["Notification"][] = [];
  let cursor: string | undefined;
  do {
    const page = await client.GET("/v1/notifications", { params: { query: { ...query, limit: 100, cursor } } });
    expect(page.error, JSON.stringify(page.error)).toBeUndefined();
    all.push(...page.data!.data);
    cursor = page.data!.nextCursor ?? undefined;
  } while (cursor);
  return all;
}

/** The inbox once the consumer has caught up. */
export async function settledInbox(server: TestServer, client: DocketClient, query: { unread?: boolean } = {}): Promise<Schemas["Notification"][]> {
  await settled(server);
  return inbox(client, query);
}

export async function unreadCount(client: DocketClient): Promise<number> {
  const { data, error } = await client.GET("/v1/notifications/unread-count");
  expect(error, JSON.stringify(error)).toBeUndefined();
  return data!.unreadCount;
}
