/** Why the page may have missed something. */
export type ResumeReason = "online" | "visible" | "wake";

export interface ResumeOptions {
  /** A tab hidden at least this long catches up when it shows again. */
  hiddenMs?: number;
  /** How often the sleep detector ticks. */
  tickMs?: number;
  /** A tick this much later than planned means the machine slept (timers stood still). */
  stallMs?: number;
}

/**
 * Calls `onResume` when the page has likely missed messages although the socket may still
 * look connected: the browser is back online, the tab shows again after a while hidden, or
 * the laptop woke from sleep (a dead socket takes Socket.IO's heartbeat, ~45 s, to notice).
 * Returns a function that stops watching.
 */
export function watchResume(onResume: (reason: ResumeReason) => void, options: ResumeOptions = {}): () => void {
  const { hiddenMs = 15_000, tickMs = 5_000, stallMs = 20_000 } = options;
  let hiddenAt = document.visibilityState === "hidden" ? Date.now() : null;
  let lastTick = Date.now();

  const onOnline = () => onResume("online");
  const onVisibility = () => {
    if (document.visibilityState === "hidden") {
      hiddenAt ??= Date.now();
      return;
    }
    const hiddenFor = hiddenAt === null ? 0 : Date.now() - hiddenAt;
    hiddenAt = null;
    lastTick = Date.now();
    if (hiddenFor >= hiddenMs) onResume("visible");
  };
  const ticker = setInterval(() => {
    const late = Date.now() - lastTick - tickMs;
    lastTick = Date.now();
    // Hidden tabs are throttled anyway; they catch up when they show again.
    if (late >= stallMs && document.visibilityState === "visible") onResume("wake");
  }, tickMs);

  window.addEventListener("online", onOnline);
  document.addEventListener("visibilitychange", onVisibility);
  return () => {
    clearInterval(ticker);
    window.removeEventListener("online", onOnline);
    document.removeEventListener("visibilitychange", onVisibility);
  };
}
