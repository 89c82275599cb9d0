/**
 * A job a long-lived process runs now and then (sweeps, maintenance). `run()` while a run is in
 * progress joins it rather than starting a second; `start()` runs it every `intervalMs` without
 * keeping the process alive; `stop()` ends the timer and waits for a run in progress.
 */
export function createPeriodicJob<T>(job: () => Promise<T>, { onError }: { onError: (error: Error) => void }) {
  let running: Promise<T> | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  const periodic = {
    run(): Promise<T> {
      running ??= job().finally(() => {
        running = null;
      });
      return running;
    },
    start(intervalMs: number) {
      timer ??= setInterval(() => void periodic.run().catch(onError), intervalMs);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
  return periodic;
}
