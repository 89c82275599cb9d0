import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkChromium, launchUser, loginViaMailbox, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

const SCREENSHOT = path.join(WEB_DIR, "test-results", "chat.png");

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();

/** A message bubble in `page`'s open conversation, by (part of) its text. */
const message = (page: Page, text: string) => page.getByTestId("message").filter({ hasText: text });

async function send(page: Page, lines: string[]) {
  const composer = page.getByTestId("composer");
  await composer.fill(lines[0] ?? "");
  for (const line of lines.slice(1)) {
    await composer.press("Shift+Enter");
    await composer.pressSequentially(line);
  }
  await composer.press("Enter");
  // Enter sends and clears; Shift+Enter only added new lines.
  expect(await composer.inputValue()).toBe("");
}

describe.skipIf(!chromium.available && !required)("chat in the browser", () => {
  let stack: Stack | undefined;
  let alice: BrowserUser | undefined;
  let bob: BrowserUser | undefined;
  const dialogs: string[] = [];

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    stack = await startStack();
    [alice, bob] = await Promise.all([launchUser("alice"), launchUser("bob")]);
    for (const user of [alice, bob]) {
      user.page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
    }
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await stack?.stop();
  });

  it("when two users chat, then each sees the other's messages live", async ({ onTestFailed }) => {
    if (!stack || !alice || !bob) throw new Error("the stack did not start");
    const { baseUrl } = stack;
    onTestFailed(() => {
      console.error([...(alice?.errors ?? []), ...(bob?.errors ?? []), stack?.logs() ?? ""].join("\n"));
    });
    const run = Date.now().toString(36);
    const aliceEmail = `alice-${run}@example.test`;
    const bobEmail = `bob-${run}@example.test`;
    const a = alice.page;
    const b = bob.page;

    await loginViaMailbox(b, baseUrl, bobEmail);
    await loginViaMailbox(a, baseUrl, aliceEmail);
    await Promise.all([waitUntilLive(a), waitUntilLive(b)]);
    // Survives only if neither page reloads from here on.
    for (const page of [a, b]) await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));

    // Alice finds Bob by email and writes a two-line message.
    await a.getByTestId("user-search").fill(bobEmail);
    await a.getByTestId("user-result").filter({ hasText: bobEmail }).click();
    await a.getByTestId("conversation-header").filter({ hasText: bobEmail }).waitFor();
    await send(a, ["Hi Bob!", "Second line."]);
    const hello = message(a, "Hi Bob!");
    await hello.and(a.locator('[data-status="sent"]')).waitFor();
    expect(await hello.count()).toBe(1);

    // Bob's conversation list shows it live; he opens the conversation and reads it.
    const fromAlice = b.locator(`[data-testid="conversation-item"][data-peer-email="${aliceEmail}"]`);
    await fromAlice.filter({ hasText: "Hi Bob!" }).waitFor();
    await fromAlice.click();
    await message(b, "Hi Bob!").waitFor();
    expect(await message(b, "Hi Bob!").getByTestId("message-content").innerText()).toBe("Hi Bob!\nSecond line.");

    // Bob replies; Alice sees it without reloading.
    await send(b, ["Hello Alice, good to hear from you."]);
    await message(a, "Hello Alice, good to hear from you.").waitFor();
    await message(b, "Hello Alice").and(b.locator('[data-status="sent"]')).waitFor();

    // Markup is shown as text on both sides, never run.
    const markup = "<script>alert(1)</script>";
    await send(a, [markup]);
    for (const page of [a, b]) {
      const bubble = message(page, markup).and(page.locator('[data-status="sent"]'));
      await bubble.waitFor();
      expect(await bubble.getByTestId("message-content").textContent()).toBe(markup);
      expect(await page.locator('[data-testid="message-list"] script').count()).toBe(0);
    }
    expect(dialogs).toEqual([]);

    // Every message once, in order, on both sides.
    const expected = ["Hi Bob!\nSecond line.", "Hello Alice, good to hear from you.", markup];
    for (const page of [a, b]) {
      expect(await page.getByTestId("message-content").allInnerTexts()).toEqual(expected);
      expect(await page.evaluate(() => "__e2eNoReload" in window)).toBe(true);
    }

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await a.screenshot({ path: SCREENSHOT });
  });
});
