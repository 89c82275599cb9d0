import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendApi, signInApi, useSession, type ApiUser } from "./support/seed";
import { checkChromium, launchUser, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

/**
 * Formatting (markdown subset and links, rendered as elements, never HTML) and message search:
 * a result far back in the history opens its conversation at that message, with the messages
 * around it loaded, scrolled to and highlighted.
 */

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

// Git-ignored: screenshots for the review note.
const SHOTS = path.join(WEB_DIR, "test-results", "screenshots");

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
const message = (page: Page, text: string) => page.getByTestId("message").filter({ hasText: text });

describe.skipIf(!chromium.available && !required)("formatting and message search in the browser", () => {
  let stack: Stack;
  let browser: BrowserUser;
  let ann: ApiUser;
  let bob: ApiUser;
  const run = Date.now().toString(36);
  const word = `aardvark${run}`;
  const report = () => console.error([...(browser?.errors ?? []), stack?.logs() ?? ""].join("\n"));

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    mkdirSync(SHOTS, { recursive: true });
    [stack, browser] = await Promise.all([startStack({ env: { RATE_LIMIT_SEND: "1000/10" } }), launchUser("search")]);
    [ann, bob] = await Promise.all([
      signInApi(stack.baseUrl, `ann-${run}@example.test`, "Ann"),
      signInApi(stack.baseUrl, `bob-${run}@example.test`, "Bob"),
    ]);
    // The match is older than the first two pages of 50: finding it loads older pages.
    await sendApi(bob, ann, "just before the one we look for");
    await sendApi(bob, ann, `The ${word} is in the **garden** shed`);
    await sendApi(ann, bob, "just after it");
    for (let i = 0; i < 110; i += 1) await sendApi(i % 2 ? ann : bob, i % 2 ? bob : ann, `filler ${i}`);
    await useSession(browser.context, ann);
    await browser.page.goto(`${stack.baseUrl}/chat/${bob.user.id}`);
    await waitUntilLive(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("when a message has markdown and links, then it shows bold, italic, strikethrough, code, quote and safe links only", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const page = browser.page;
    const composer = page.getByTestId("composer");
    await composer.fill(
      "**bold** _it_ ~~gone~~ `x<y` see https://example.com/docs and [trap](javascript:alert(1)) <b>tag</b>\n> quoted line",
    );
    await composer.press("Enter");
    const bubble = message(page, "bold").and(page.locator('[data-status="sent"]')).getByTestId("message-content");
    await bubble.waitFor();

    expect(await bubble.locator("strong").innerText()).toBe("bold");
    expect(await bubble.locator("em").innerText()).toBe("it");
    expect(await bubble.locator("del").innerText()).toBe("gone");
    expect(await bubble.locator("code").innerText()).toBe("x<y");
    expect(await bubble.locator("blockquote").innerText()).toBe("quoted line");
    const links = bubble.locator("a");
    expect(await links.count()).toBe(1);
    expect(await links.evaluate((a: HTMLAnchorElement) => [a.href, a.rel, a.target, a.textContent])).toEqual([
      "https://example.com/docs",
      "noopener noreferrer",
      "_blank",
      "https://example.com/docs",
    ]);
    // The javascript: link and the tag stay text.
    expect(await bubble.innerText()).toContain("[trap](javascript:alert(1)) <b>tag</b>");
    expect(await bubble.locator("b").count()).toBe(0);
    await bubble.screenshot({ path: path.join(SHOTS, "formatted-message.png") });
  });

  it("when ann searches a word from far back, then the result shows the match marked, and picking it opens the message in context", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const page = browser.page;
    await page.getByTestId("message-search-input").fill(word.slice(0, -2));
    const result = page.getByTestId("message-search-result");
    await result.waitFor();
    expect(await result.count()).toBe(1);
    expect(await result.locator("mark").allInnerTexts()).toEqual([word]);
    // The highlight is text: the ** of the message are shown as typed, no element made from them.
    expect(await result.innerText()).toContain(`The ${word} is in the **garden** shed`);
    await page.screenshot({ path: path.join(SHOTS, "search-results.png") });

    await result.click();
    const target = page.locator('[data-testid="message"][data-focused]');
    await target.waitFor();
    expect(await target.getByTestId("message-content").innerText()).toBe(`The ${word} is in the garden shed`);
    // Its neighbours were loaded with it, and it is on screen.
    await message(page, "just before the one we look for").waitFor();
    await message(page, "just after it").waitFor();
    await expect
      .poll(() =>
        target.evaluate((element) => {
          const box = element.getBoundingClientRect();
          const region = element.closest('[role="region"]')!.getBoundingClientRect();
          return box.top >= region.top && box.bottom <= region.bottom;
        }),
      )
      .toBe(true);
    expect(await page.getByTestId("message-search-results").count()).toBe(0);
    await page.screenshot({ path: path.join(SHOTS, "search-jump.png") });
  });
});
