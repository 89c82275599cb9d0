import { sleep } from "./processes.js";

export interface OpenLoopOptions {
  /** Requests per second offered, on a fixed schedule whatever the server does (open loop). */
  rate: number;
  durationMs: number;
  /** Backlog cap: past it a scheduled request is skipped (and counted) instead of queued. */
  maxInFlight: number;
  /** How long to wait for requests still in flight after the window. */
  drainMs?: number;
  /** Sends request number `index`; resolves true for a 2xx, false (or throws) otherwise. */
  fire(index: number): Promise<boolean>;
}

export interface OpenLoopOutcome {
  offeredPerSecond: number;
  scheduled: number;
  sent: number;
  /** Not sent: the backlog was full. */
  skipped: number;
  ok: number;
  /** 2xx answers that arrived inside the window: what "achieved" counts. */
  okInWindow: number;
  failed: number;
  /** Still unanswered when the drain wait ended. */
  unanswered: number;
  achievedPerSecond: number;
  /** Longest gap between scheduler ticks: a busy generator shows up here. */
  maxTickGapMs: number;
  errorSamples: string[];
}

/**
 * Sends at a fixed rate for a fixed time (bounded in count and time), then waits a bounded
 * time for stragglers. Each request is fired at its scheduled moment (1 ms ticks), so a slow
 * server cannot slow the offered rate down (no coordinated omission).
 */
export async function runOpenLoop({ rate, durationMs, maxInFlight, drainMs = 5_000, fire }: OpenLoopOptions): Promise<OpenLoopOutcome> {
  const total = Math.round((rate * durationMs) / 1000);
  let issued = 0;
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  let ok = 0;
  let okInWindow = 0;
  let failed = 0;
  let windowOpen = true;
  let maxTickGapMs = 0;
  const errorSamples: string[] = [];
  const noteError = (text: string) => {
    if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
  };

  const start = process.hrtime.bigint();
  let lastTick = start;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = process.hrtime.bigint();
      maxTickGapMs = Math.max(maxTickGapMs, Number(now - lastTick) / 1e6);
      lastTick = now;
      const elapsedMs = Number(now - start) / 1e6;
      const due = Math.min(total, Math.floor((elapsedMs * rate) / 1000));
      while (issued < due) {
        const index = issued++;
        if (inFlight >= maxInFlight) {
          skipped++;
          continue;
        }
        inFlight++;
        sent++;
        fire(index).then(
          (success) => {
            inFlight--;
            if (success) {
              ok++;
              if (windowOpen) okInWindow++;
            } else {
              failed++;
            }
          },
          (error: unknown) => {
            inFlight--;
            failed++;
            noteError(error instanceof Error ? error.message : String(error));
          },
        );
      }
      if (elapsedMs >= durationMs) {
        windowOpen = false;
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });

  const drainDeadline = Date.now() + drainMs;
  while (inFlight > 0 && Date.now() < drainDeadline) await sleep(10);
  return {
    offeredPerSecond: rate,
    scheduled: total,
    sent,
    skipped,
    ok,
    okInWindow,
    failed,
    unanswered: inFlight,
    achievedPerSecond: okInWindow / (durationMs / 1000),
    maxTickGapMs,
    errorSamples,
  };
}
