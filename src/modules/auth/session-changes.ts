// What a session change says, as it travels between instances on LISTEN/NOTIFY: which sessions
// ended (scoped as revokeSessions scopes them) and whose role or access changed. The session
// caches forget everything on any change; the live stream closes exactly the sockets affected.
import type { Role } from "../../core/contract.ts";

/** Sessions of a tenant, narrowed to a user and/or one session, or all but one session. */
export interface SessionScope {
  tenantId: string;
  userId?: string;
  sessionId?: string;
  exceptSessionId?: string;
}

export interface SessionChange {
  /** Sessions that ended (logout, reuse detected, deactivation, new password, tenant suspended or deleted). */
  ended: SessionScope[];
  /** Users whose role changed (their sessions stand, with the new role). */
  roleChanged: { tenantId: string; userId: string; role: Role }[];
}

/** A change the message did not describe (an older instance's empty payload): assume anything may have changed. */
export const UNKNOWN_CHANGE: SessionChange | undefined = undefined;

export function inScope(scope: SessionScope, session: { tenantId: string; userId: string; sessionId: string }): boolean {
  return (
    scope.tenantId === session.tenantId &&
    (scope.userId === undefined || scope.userId === session.userId) &&
    (scope.sessionId === undefined || scope.sessionId === session.sessionId) &&
    (scope.exceptSessionId === undefined || scope.exceptSessionId !== session.sessionId)
  );
}

// NOTIFY payloads are at most 8000 bytes; a change too large to describe is sent as unknown.
const MAX_PAYLOAD = 7_900;

export function encodeSessionChange(change: SessionChange): string {
  const text = JSON.stringify(change);
  return text.length <= MAX_PAYLOAD ? text : "";
}

/** Undefined when the payload does not describe the change (empty, or not understood). */
export function decodeSessionChange(payload: string): SessionChange | undefined {
  if (!payload) return undefined;
  try {
    const value = JSON.parse(payload) as Partial<SessionChange>;
    if (!Array.isArray(value.ended) || !Array.isArray(value.roleChanged)) return undefined;
    const ended = value.ended.filter((scope) => typeof scope?.tenantId === "string");
    const roleChanged = value.roleChanged.filter((user) => typeof user?.tenantId === "string" && typeof user.userId === "string");
    return { ended, roleChanged };
  } catch {
    return undefined;
  }
}
