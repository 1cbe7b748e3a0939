// Routing rules as data: conditions on a new ticket and its triage, actions to take. The active
// rules are tried in position order and the first whose conditions all hold applies; within one
// condition's list any value matches. One rule decides, so reading it explains a ticket's route
// (Zendesk triggers all run and can undo one another; we chose the simpler reading).
import type { Schemas } from "../../core/contract-types.ts";
import type { TriageFacts } from "./triage.ts";

export type RoutingConditions = Schemas["RoutingConditions"];
export type RoutingActions = Schemas["RoutingActions"];

/** The ticket fields conditions read. */
export interface RoutableTicket {
  channel: string;
  priority: string;
  type: string | null;
  tags: readonly string[];
}

export interface StoredRule {
  id: string;
  conditions: RoutingConditions;
  actions: RoutingActions;
}

const anyOf = (allowed: readonly string[] | undefined, value: string | null | undefined): boolean =>
  allowed === undefined || allowed.length === 0 || (value != null && allowed.includes(value));

export function matches(conditions: RoutingConditions, ticket: RoutableTicket, triage: TriageFacts | null): boolean {
  if (!anyOf(conditions.channels, ticket.channel)) return false;
  if (!anyOf(conditions.priorities, ticket.priority)) return false;
  if (!anyOf(conditions.types, ticket.type)) return false;
  if (conditions.tagsAny?.length && !conditions.tagsAny.some((tag) => ticket.tags.includes(tag.toLowerCase()))) return false;
  if (conditions.tagsAll?.length && !conditions.tagsAll.every((tag) => ticket.tags.includes(tag.toLowerCase()))) return false;
  // Triage conditions never hold for a ticket without triage: a rule about German tickets must
  // not catch every ticket whose language is unknown.
  const needsTriage = [conditions.languages, conditions.categories, conditions.sentiments, conditions.skillsAny].some((list) => list?.length);
  if (!needsTriage) return true;
  if (!triage) return false;
  if (!anyOf(conditions.languages, triage.language)) return false;
  if (!anyOf(conditions.categories, triage.category)) return false;
  if (!anyOf(conditions.sentiments, triage.sentiment)) return false;
  if (conditions.skillsAny?.length && !conditions.skillsAny.some((skill) => triage.skills.includes(skill))) return false;
  return true;
}

export function firstMatch<T extends StoredRule>(rules: readonly T[], ticket: RoutableTicket, triage: TriageFacts | null): T | undefined {
  return rules.find((rule) => matches(rule.conditions, ticket, triage));
}
