// Sessions recently verified, so that most requests skip the session query: on these machines one
// round trip to PostgreSQL is the largest single cost of an authenticated read.
//
// Correctness rests on two rules. Every change that can end or alter a session (logout, a spent
// refresh token replayed, a user's role or active flag, a tenant's status) calls invalidate()
// after its transaction commits. And a lookup only stores what it read if no invalidation happened
// meanwhile (the generation check), so a read that raced a revocation cannot resurrect the
// session. Other API instances hear of it through `onInvalidate` (LISTEN/NOTIFY, see services.ts);
// should that message be lost, they still stop trusting the session within the TTL.
import type { Role } from "../../core/contract.ts";
import type { SessionChange } from "./session-changes.ts";

/**
 * What the database said about a session: whose it is as well as the role. A hit counts only for
 * a token whose claims name the same tenant and user, so a token re-signed with another `tid` or
 * `sub` (a leaked key, a bug in a signer) cannot borrow a session the cache vouches for.
 */
export interface VerifiedSession {
  tenantId: string;
  userId: string;
  role: Role;
}

/** Also holds verified API keys (src/modules/api-keys), by their prefix: the same rules apply. */
export interface SessionCache<T extends object = VerifiedSession> {
  get(sessionId: string): T | undefined;
  /** Captured before the database read whose result is then remembered. */
  generation(): number;
  remember(sessionId: string, session: T, generation: number): void;
  /** A change here (which sessions ended, whose role changed): forget everything and tell the other instances. */
  invalidate(change: SessionChange): void;
  /** A change reported by another instance: forget everything. */
  forget(): void;
}

const MAX_ENTRIES = 50_000;

export function createSessionCache<T extends object = VerifiedSession>(ttlMs: number, options: { now?: () => number; onInvalidate?: (change: SessionChange) => void } = {}): SessionCache<T> {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: T; until: number }>();
  let generation = 0;
  return {
    get(sessionId) {
      const entry = entries.get(sessionId);
      if (!entry) return undefined;
      if (entry.until > now()) return entry.value;
      entries.delete(sessionId);
      return undefined;
    },
    generation: () => generation,
    remember(sessionId, session, seenGeneration) {
      if (ttlMs <= 0 || seenGeneration !== generation) return;
      if (entries.size >= MAX_ENTRIES) entries.clear();
      entries.set(sessionId, { value: session, until: now() + ttlMs });
    },
    invalidate(change) {
      this.forget();
      options.onInvalidate?.(change);
    },
    forget() {
      generation++;
      entries.clear();
    },
  };
}
