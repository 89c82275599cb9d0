/**
 * Coalesces pushes into batch requests the way the web app's outbox dispatcher does: a push
 * leaves at once when none left in the last `maxWaitMs`; otherwise it waits for the batch in
 * progress, which leaves at `maxItems` or `maxWaitMs` after its first push, whichever is first.
 */
export interface PushBatcher<T> {
  /** Resolves with the batch's outcome once the request carrying `item` is answered. */
  push(item: T): Promise<boolean>;
}

export function createPushBatcher<T>({
  maxItems,
  maxWaitMs,
  send,
}: {
  maxItems: number;
  maxWaitMs: number;
  /** Sends one request for `items`; resolves true on success. */
  send(items: T[]): Promise<boolean>;
}): PushBatcher<T> {
  let items: T[] = [];
  let waiters: Array<{ resolve(ok: boolean): void; reject(error: unknown): void }> = [];
  let timer: NodeJS.Timeout | undefined;
  let lastFlushAt = 0;

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    lastFlushAt = performance.now();
    send(batch).then(
      (ok) => {
        for (const waiter of batchWaiters) waiter.resolve(ok);
      },
      (error: unknown) => {
        for (const waiter of batchWaiters) waiter.reject(error);
      },
    );
  };

  return {
    push(item) {
      return new Promise<boolean>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (items.length >= maxItems) return flush();
        if (timer) return;
        // Idle: nothing left recently, so this one need not wait for company.
        if (performance.now() - lastFlushAt >= maxWaitMs) return flush();
        timer = setTimeout(flush, maxWaitMs);
      });
    },
  };
}
