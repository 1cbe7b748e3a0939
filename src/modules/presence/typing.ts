// Typing indicators, coalesced: at most one signal per user and ticket per window (2 s). A typing
// call inside the window is not lost: the window's end sends it (its expiry counted from the last
// call), so a client may say "typing" on every keystroke and the indicator still expires 6 s after
// the last one, not after the first.
export interface TypingState {
  tenantId: string;
  ticketId: string;
  userId: string;
  internal: boolean;
  expiresAt: Date;
}

interface Entry {
  timer: NodeJS.Timeout;
  pending?: TypingState;
}

export interface TypingCoalescer {
  typing(state: Omit<TypingState, "expiresAt">): void;
  close(): void;
}

export function createTypingCoalescer(options: { windowMs: number; ttlMs: number; emit: (state: TypingState) => void }): TypingCoalescer {
  const entries = new Map<string, Entry>();

  // Each key holds a timer for one window after it last sent: at its end it sends what came
  // meanwhile (and holds the key another window), or lets the key go.
  const arm = (key: string, entry: Partial<Entry>): Entry => {
    const timer = setTimeout(() => {
      const current = entries.get(key);
      if (current?.pending) {
        const state = current.pending;
        entries.set(key, arm(key, {}));
        options.emit(state);
      } else {
        entries.delete(key);
      }
    }, options.windowMs);
    timer.unref();
    return { ...entry, timer };
  };

  return {
    typing(call) {
      const key = `${call.tenantId}/${call.ticketId}/${call.userId}`;
      const state = { ...call, expiresAt: new Date(Date.now() + options.ttlMs) };
      const entry = entries.get(key);
      if (entry) {
        entry.pending = state;
        return;
      }
      entries.set(key, arm(key, {}));
      options.emit(state);
    },
    close() {
      for (const entry of entries.values()) clearTimeout(entry.timer);
      entries.clear();
    },
  };
}
