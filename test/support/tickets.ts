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
