/**
 * Typing indicators, both ways. Timers are injected so tests drive them with fake clocks.
 * The socket server only relays `typing:start` / `typing:stop`; the timing lives here.
 */

interface Timers {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface TypingSenderOptions {
  /** Sends `typing:start` (true) or `typing:stop` (false) to `to`. */
  emit(to: string, typing: boolean): void;
  /** While typing, `typing:start` goes out at most this often (it also keeps the peer's indicator alive). */
  throttleMs?: number;
  /** No keystroke for this long sends `typing:stop`. */
  idleMs?: number;
  timers?: Timers;
}

export interface TypingSender {
  /** The draft for `to` changed: typing if it holds text, stopped if it is empty. */
  input(to: string, draft: string): void;
  /** Sent, blurred, or left the conversation: stop now (nothing goes out if we were not typing). */
  stop(): void;
}

export function createTypingSender({ emit, throttleMs = 2_000, idleMs = 3_000, timers = realTimers }: TypingSenderOptions): TypingSender {
  let typingTo: string | null = null;
  let lastStartAt = -Infinity;
  let idleTimer: unknown = null;

  const stop = () => {
    if (idleTimer !== null) timers.clearTimeout(idleTimer);
    idleTimer = null;
    if (typingTo === null) return;
    const to = typingTo;
    typingTo = null;
    lastStartAt = -Infinity;
    emit(to, false);
  };

  return {
    input(to, draft) {
      if (draft.trim() === "") return stop();
      if (typingTo !== null && typingTo !== to) stop();
      const now = timers.now();
      if (typingTo === null || now - lastStartAt >= throttleMs) {
        typingTo = to;
        lastStartAt = now;
        emit(to, true);
      }
      if (idleTimer !== null) timers.clearTimeout(idleTimer);
      idleTimer = timers.setTimeout(stop, idleMs);
    },
    stop,
  };
}

export interface TypingWatcherOptions {
  /** A peer's indicator turned on or off. */
  onChange(from: string, typing: boolean): void;
  /** An indicator with no update for this long turns off (a lost `typing:stop`, a closed tab). */
  timeoutMs?: number;
  timers?: Timers;
}

export interface TypingWatcher {
  /** A `typing:update` arrived. */
  update(from: string, typing: boolean): void;
  /** Turns every indicator off (e.g. the socket dropped). */
  clear(): void;
  dispose(): void;
}

export function createTypingWatcher({ onChange, timeoutMs = 5_000, timers = realTimers }: TypingWatcherOptions): TypingWatcher {
  const expiries = new Map<string, unknown>();

  const off = (from: string) => {
    const timer = expiries.get(from);
    if (timer === undefined) return;
    timers.clearTimeout(timer);
    expiries.delete(from);
    onChange(from, false);
  };

  return {
    update(from, typing) {
      if (!typing) return off(from);
      const timer = expiries.get(from);
      if (timer !== undefined) timers.clearTimeout(timer);
      expiries.set(
        from,
        timers.setTimeout(() => off(from), timeoutMs),
      );
      // Always reported: the indicator may have been cleared meanwhile by the peer's message.
      onChange(from, true);
    },
    clear() {
      for (const from of [...expiries.keys()]) off(from);
    },
    dispose() {
      for (const timer of expiries.values()) timers.clearTimeout(timer);
      expiries.clear();
    },
  };
}
