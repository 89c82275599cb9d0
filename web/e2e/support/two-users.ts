import type { Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { checkChromium, launchUser, loginViaMailbox, startStack, type BrowserUser, type Stack } from "./stack";

/**
 * The usual cast of a browser test file: the stack and two Chromium users (Alice and Bob),
 * started before the file's tests and stopped after them. Call inside `describe`; `env` goes to
 * both servers (e.g. a smaller ATTACHMENT_MAX_BYTES).
 */
export function useTwoUsers(options: { env?: Record<string, string> } = {}) {
  let stack: Stack | undefined;
  let alice: BrowserUser | undefined;
  let bob: BrowserUser | undefined;

  beforeAll(async () => {
    const chromium = checkChromium();
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    // Generous: on a busy machine the embedded database alone may take most of a minute to create.
    stack = await startStack({ startTimeoutMs: 180_000, env: options.env });
    [alice, bob] = await Promise.all([launchUser("alice"), launchUser("bob")]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await stack?.stop();
  });

  return {
    /** Both signed in with fresh addresses, live, and marked so a reload would show (`__e2eNoReload`). */
    async signIn(label: string): Promise<{ a: Page; b: Page; aliceEmail: string; bobEmail: string; baseUrl: string }> {
      if (!stack || !alice || !bob) throw new Error("the stack did not start");
      const run = Date.now().toString(36);
      const aliceEmail = `alice-${label}-${run}@example.test`;
      const bobEmail = `bob-${label}-${run}@example.test`;
      const [a, b] = [alice.page, bob.page];
      await loginViaMailbox(b, stack.baseUrl, bobEmail);
      await loginViaMailbox(a, stack.baseUrl, aliceEmail);
      const live = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
      await Promise.all([live(a), live(b)]);
      for (const page of [a, b]) await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));
      return { a, b, aliceEmail, bobEmail, baseUrl: stack.baseUrl };
    },
    /** For `onTestFailed`: both pages' errors and the servers' logs. */
    report() {
      console.error([...(alice?.errors ?? []), ...(bob?.errors ?? []), stack?.logs() ?? ""].join("\n"));
    },
  };
}
