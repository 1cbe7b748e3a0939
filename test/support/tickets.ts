// Arrange helpers for tickets, through the API.
import { expect } from "vitest";
import type { DocketClient, Schemas } from "../../sdk/index.ts";

export async function openTicket(client: DocketClient, body: Schemas["TicketCreate"] = { title: "Printer on fire" }): Promise<Schemas["Ticket"]> {
  const { data, error, response } = await client.POST("/v1/tickets", { body });
  expect(error, JSON.stringify(error)).toBeUndefined();
  expect(response.status).toBe(201);
  return data!;
}

export function ticketPath(ticketId: string) {
  return { params: { path: { ticketId } } };
}

export async function comment(client: DocketClient, ticketId: string, body: string, internal = false): Promise<Schemas["Comment"]> {
  const posted = await client.POST("/v1/tickets/{ticketId}/comments", { ...ticketPath(ticketId), body: { body, internal } });
  expect(posted.error, JSON.stringify(posted.error)).toBeUndefined();
  return posted.data!;
}
