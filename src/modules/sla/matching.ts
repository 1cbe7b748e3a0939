// Which policy applies to a ticket: the first, in order, whose conditions all hold.
import type { Schemas } from "../../core/contract-types.ts";

export interface TicketFields {
  priority: string;
  type: string | null;
  channel: string;
  groupId: string | null;
  tags: string[];
}

export interface PolicyRow {
  id: string;
  conditions: unknown;
  targets: unknown;
  scheduleId: string | null;
  warningMinutes: number;
}

export function matches(conditions: Schemas["SlaConditions"], ticket: TicketFields): boolean {
  if (conditions.priority && !conditions.priority.includes(ticket.priority as never)) return false;
  if (conditions.type && (ticket.type === null || !conditions.type.includes(ticket.type as never))) return false;
  if (conditions.channel && !conditions.channel.includes(ticket.channel as never)) return false;
  if (conditions.groupId && (ticket.groupId === null || !conditions.groupId.includes(ticket.groupId))) return false;
  if (conditions.tags && !conditions.tags.some((tag) => ticket.tags.includes(tag.toLowerCase()))) return false;
  return true;
}

/** Policies in order (position, then creation). */
export function matchingPolicy<T extends PolicyRow>(policies: readonly T[], ticket: TicketFields): T | undefined {
  return policies.find((policy) => matches(policy.conditions as Schemas["SlaConditions"], ticket));
}
