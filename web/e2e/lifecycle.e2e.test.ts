import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSeriousViolations } from "./support/axe";
import { checkChromium, launchUser, loginViaMailbox, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

// Git-ignored: a screenshot for the review note.
const SHOTS = path.join(WEB_DIR, "test-results", "screenshots");

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
/** A message in `page`'s open conversation, by (part of) its own text (not a quote of it). */
const message = (page: Page, text: string) =>
  page.getByTestId("message").filter({ has: page.getByTestId("message-content").filter({ hasText: text }) });

async function send(page: Page, text: string) {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  await composer.press("Enter");
  await message(page, text).and(page.locator('[data-status="sent"]')).waitFor();
}

const focusedTestId = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid"));

/**
 * Opens a message's "⋯" menu from the keyboard: the button is shown on focus, Enter opens the menu
 * with its first item focused (also the first time, when the menu's module loads on demand).
 */
async function openActions(page: Page, text: string) {
  const trigger = message(page, text).getByTestId("message-actions");
  await trigger.focus();
  await expect.poll(() => trigger.evaluate((element) => getComputedStyle(element).opacity)).toBe("1");
  await page.keyboard.press("Enter");
  await page.getByRole("menu").waitFor();
  await expect.poll(() => focusedTestId(page)).toBe("action-reply");
}

const reaction = (page: Page, text: string, emoji: string) =>
  message(page, text).locator(`[data-testid="reaction"][data-emoji="${emoji}"]`);

describe.skipIf(!chromium.available && !required)("editing, deleting, reacting and replying in the browser", () => {
  let stack: Stack;
  let ann: BrowserUser;
  let bob: BrowserUser;
  const run = Date.now().toString(36);
  const [annName, bobName] = ["ann", "bob"].map((name) => `${name}-${run}`) as [string, string];
  const [annEmail, bobEmail] = [annName, bobName].map((name) => `${name}@example.test`) as [string, string];
  const report = () => console.error([...(ann?.errors ?? []), ...(bob?.errors ?? []), stack?.logs() ?? ""].join("\n"));

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    [stack, ann, bob] = await Promise.all([startStack(), launchUser("ann"), launchUser("bob")]);
    await loginViaMailbox(bob.page, stack.baseUrl, bobEmail);
    await loginViaMailbox(ann.page, stack.baseUrl, annEmail);
    await Promise.all([waitUntilLive(ann.page), waitUntilLive(bob.page)]);
  });

  afterAll(async () => {
    await Promise.all([ann?.close(), bob?.close()]);
    await stack?.stop();
  });

  it("when two people edit, delete, react and reply, then each sees the other's change live, and axe finds nothing", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    const b = bob.page;
    await a.getByTestId("user-search").fill(bobEmail);
    await a.getByTestId("user-result").filter({ hasText: bobEmail }).click();
    await a.getByTestId("conversation-header").filter({ hasText: bobEmail }).waitFor();
    await send(a, "Lunch at noon?");
    await send(a, "Meet at the caffe");
    await b.locator(`[data-testid="conversation-item"][data-peer-email="${annEmail}"]`).click();
    await message(b, "Meet at the caffe").waitFor();
    // Survives only if neither page reloads from here on: everything below arrives live.
    for (const page of [a, b]) await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));

    // From the keyboard: Tab goes from one message's "⋯" button to the next; Enter opens the menu
    // with "Reply" focused; Escape closes it and gives the focus back to the button.
    const caffeActions = message(a, "Meet at the caffe").getByTestId("message-actions");
    await message(a, "Lunch at noon?").getByTestId("message-actions").focus();
    await a.keyboard.press("Tab");
    expect(await caffeActions.evaluate((element) => element === document.activeElement)).toBe(true);
    await a.keyboard.press("Enter");
    await a.getByRole("menu").waitFor();
    await expect.poll(() => focusedTestId(a)).toBe("action-reply");
    await a.keyboard.press("Escape");
    await a.getByRole("menu").waitFor({ state: "hidden" });
    // Radix gives the focus back on a timer once the menu has unmounted: a slow machine can look first.
    await expect.poll(() => caffeActions.evaluate((element) => element === document.activeElement)).toBe(true);

    // Ann fixes her typo in place, from the keyboard; Bob sees the new text marked "edited".
    await openActions(a, "Meet at the caffe");
    expect(await a.getByRole("menuitem").allInnerTexts()).toEqual(["Reply", "React", "Edit", "Delete"]);
    await a.getByRole("menuitem", { name: "Edit" }).press("Enter");
    const editor = a.getByTestId("edit-input");
    await expect.poll(() => focusedTestId(a)).toBe("edit-input");
    await editor.fill("Meet at the café");
    await editor.press("Enter");
    await message(a, "Meet at the café").getByTestId("edited").waitFor();
    const edited = message(b, "Meet at the café");
    await edited.getByTestId("edited").waitFor();
    expect(await edited.getByTestId("message-content").innerText()).toBe("Meet at the café");
    expect(await edited.getByTestId("edited").getAttribute("title")).toMatch(/^Edited /);
    expect(await message(b, "caffe").count()).toBe(0);

    // Bob's menu on Ann's message, opened with a click: no Edit or Delete. He reacts 👍 through the React submenu.
    await message(b, "Lunch at noon?").getByTestId("message-actions").click();
    await b.getByRole("menu").waitFor();
    // As Radix's trigger does for a pointer: the menu has the focus, no item is highlighted.
    await expect.poll(() => b.evaluate(() => document.activeElement?.getAttribute("role"))).toBe("menu");
    expect(await b.locator('[role="menuitem"][data-highlighted]').count()).toBe(0);
    expect(await b.getByRole("menuitem").allInnerTexts()).toEqual(["Reply", "React"]);
    await b.getByRole("menuitem", { name: "React" }).press("ArrowRight");
    await b.getByRole("menuitem", { name: "React with 👍" }).press("Enter");
    await reaction(b, "Lunch at noon?", "👍").and(b.locator('[aria-pressed="true"][data-count="1"]')).waitFor();
    const annSees = reaction(a, "Lunch at noon?", "👍");
    await annSees.and(a.locator('[aria-pressed="false"][data-count="1"]')).waitFor();
    expect(await annSees.getAttribute("title")).toBe(`${bobName} reacted with 👍`);
    // Ann joins in with a click; then any emoji, typed.
    await annSees.click();
    await reaction(b, "Lunch at noon?", "👍").and(b.locator('[data-count="2"]')).waitFor();
    expect(await reaction(b, "Lunch at noon?", "👍").getAttribute("title")).toBe(`You and ${annName} reacted with 👍`);
    await openActions(a, "Lunch at noon?");
    await a.getByRole("menuitem", { name: "React" }).press("ArrowRight");
    await a.getByTestId("react-other").press("Enter");
    await a.getByTestId("emoji-input").fill("🥪");
    await a.getByTestId("emoji-input").press("Enter");
    await reaction(b, "Lunch at noon?", "🥪").and(b.locator('[data-count="1"]')).waitFor();
    // Bob takes his 👍 back with a click.
    await reaction(b, "Lunch at noon?", "👍").click();
    await reaction(a, "Lunch at noon?", "👍").and(a.locator('[data-count="1"][aria-pressed="true"]')).waitFor();

    // Bob replies to the edited message: the reply bar above the composer, then the quote in his bubble.
    await openActions(b, "Meet at the café");
    await b.getByRole("menuitem", { name: "Reply" }).press("Enter");
    const bar = b.getByTestId("reply-bar");
    await bar
      .filter({ hasText: `Replying to ${annName}` })
      .filter({ hasText: "Meet at the café" })
      .waitFor();
    await expect.poll(() => focusedTestId(b)).toBe("composer");
    await send(b, "See you there");
    await bar.waitFor({ state: "hidden" });
    const reply = message(a, "See you there");
    await reply.getByTestId("reply-quote").filter({ hasText: "Meet at the café" }).waitFor();
    // The quote jumps to the original: it takes the focus.
    await reply.getByTestId("reply-quote").click();
    await a.waitForFunction(() => document.activeElement?.textContent?.includes("Meet at the café") ?? false);

    for (const scheme of ["light", "dark"] as const) {
      for (const page of [a, b]) {
        await page.emulateMedia({ colorScheme: scheme });
        // The 120 ms colour transitions.
        await page.waitForTimeout(300);
        expect(await findSeriousViolations(page), `reactions, quote, edited label, ${scheme}`).toEqual([]);
      }
    }
    for (const page of [a, b]) await page.emulateMedia({ colorScheme: "light" });
    mkdirSync(SHOTS, { recursive: true });
    await a.screenshot({ path: path.join(SHOTS, "lifecycle.png") });
    await openActions(b, "See you there");
    expect(await findSeriousViolations(b), "the open actions menu").toEqual([]);
    await b.keyboard.press("Escape");

    // Ann deletes her edited message (after confirming): a tombstone on both sides, and Bob's quote says so.
    await openActions(a, "Meet at the café");
    await a.getByRole("menuitem", { name: "Delete" }).press("Enter");
    const dialog = a.getByTestId("delete-dialog");
    await dialog.waitFor();
    expect(await findSeriousViolations(a), "the delete dialog").toEqual([]);
    await dialog.getByTestId("confirm-delete").click();
    await dialog.waitFor({ state: "hidden" });
    for (const page of [a, b]) {
      await page.locator('[data-testid="message"][data-deleted]').filter({ hasText: "Message deleted" }).waitFor();
      await message(page, "See you there").getByTestId("reply-quote-deleted").waitFor();
      // The text is gone everywhere, the quote included.
      expect(await page.getByTestId("message-list").getByText("Meet at the café").count()).toBe(0);
    }
    expect(await b.locator('[data-testid="message"][data-deleted]').getByTestId("message-actions").count()).toBe(0);
    for (const page of [a, b]) expect(await findSeriousViolations(page), "tombstone").toEqual([]);
    for (const page of [a, b]) expect(await page.evaluate(() => (window as { __e2eNoReload?: boolean }).__e2eNoReload)).toBe(true);
  });

  it("when a message has Markdown, then its previews are plain text; Escape cancels a reply (focus stays in the composer) and an edit", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    const b = bob.page;
    const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);
    // Typed with Markdown; the bubble formats it, every one-line preview shows its plain text.
    const typed = "> heads up\n\n**Bring** the `map` and [notes](https://example.com/notes)";
    const plain = "heads up Bring the map and [notes](https://example.com/notes)";
    await a.getByTestId("composer").fill(typed);
    await a.getByTestId("composer").press("Enter");
    await message(a, "Bring the map").and(a.locator('[data-status="sent"]')).waitFor();
    await message(b, "Bring the map").waitFor();
    const preview = b.locator(`[data-testid="conversation-item"][data-peer-email="${annEmail}"]`).getByTestId("conversation-preview");
    await expect.poll(() => preview.innerText()).toBe(plain);
    const annPreview = a.locator(`[data-testid="conversation-item"][data-peer-email="${bobEmail}"]`).getByTestId("conversation-preview");
    await expect.poll(() => annPreview.innerText()).toBe(`You: ${plain}`);

    // Bob replies: the bar shows the plain text and takes the focus; he starts typing, then Escape
    // cancels the reply, keeps his text and the focus; what he sends then is not a reply.
    await openActions(b, "Bring the map");
    await b.getByRole("menuitem", { name: "Reply" }).press("Enter");
    const bar = b.getByTestId("reply-bar");
    await bar.waitFor();
    expect(await bar.innerText()).toBe(`Replying to ${annName}\n${plain}`);
    expect(await focused(b)).toBe("composer");
    await b.getByTestId("composer").fill("Not a reply");
    await b.getByTestId("composer").press("Escape");
    await bar.waitFor({ state: "hidden" });
    expect(await focused(b)).toBe("composer");
    expect(await b.getByTestId("composer").inputValue()).toBe("Not a reply");
    await b.getByTestId("composer").press("Enter");
    await message(b, "Not a reply").and(b.locator('[data-status="sent"]')).waitFor();
    expect(await message(b, "Not a reply").getByTestId("reply-quote").count()).toBe(0);

    // The bar's own Cancel button gives the focus back to the composer too.
    await openActions(b, "Bring the map");
    await b.getByRole("menuitem", { name: "Reply" }).press("Enter");
    await bar.getByTestId("reply-cancel").click();
    await bar.waitFor({ state: "hidden" });
    expect(await focused(b)).toBe("composer");

    // A reply that is sent: both sides' quotes show the plain text, and so does its label.
    await openActions(b, "Bring the map");
    await b.getByRole("menuitem", { name: "Reply" }).press("Enter");
    await bar.waitFor();
    await send(b, "On it");
    for (const page of [a, b]) {
      const quote = message(page, "On it").getByTestId("reply-quote");
      await quote.waitFor();
      expect(await quote.innerText()).toBe(`${page === a ? "You" : annName}\n${plain}`);
      expect(await quote.getAttribute("aria-label")).toBe(`Replying to ${page === a ? "You" : annName}: ${plain}. Show the message`);
    }

    // Escape in the in-place editor cancels the edit and leaves the focus on the message. (A save
    // would close the editor only once the server took the new text, so it would show by now.)
    await openActions(a, "Bring the map");
    await a.getByRole("menuitem", { name: "Edit" }).press("Enter");
    const editor = a.getByTestId("edit-input");
    expect(await focused(a)).toBe("edit-input");
    await editor.fill("changed my mind");
    await editor.press("Escape");
    await editor.waitFor({ state: "detached" });
    const original = message(a, "Bring the map");
    expect(await original.getByTestId("edited").count()).toBe(0);
    expect(await message(a, "changed my mind").count()).toBe(0);
    expect(await a.evaluate(() => document.activeElement?.getAttribute("data-message-id"))).toBe(
      await original.getAttribute("data-message-id"),
    );
  });
});
