import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markReadApi, sendApi, signInApi, useSession, type ApiUser } from "./support/seed";
import { CHROMIUM_PATH, checkChromium, startStack, WEB_DIR, type Stack } from "./support/stack";

/**
 * Renders docs/chat.png, the README's screenshot: a short conversation between two people in
 * the light theme at 1280×800. Not part of the test suite: `npm run screenshot:readme -w web`
 * renders it again.
 */
const enabled = checkChromium().available;
const OUTPUT = path.resolve(WEB_DIR, "..", "docs", "chat.png");

/** A fixed-offset zone where it is late morning now, so the times shown look like a working day. */
function lateMorningZone(now = new Date()): string {
  let offset = 11 - now.getUTCHours();
  if (offset > 14) offset -= 24;
  if (offset < -12) offset += 24;
  // IMPORTANT: the Etc/GMT signs are inverted (Etc/GMT-9 is UTC+9).
  return offset >= 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}

describe.skipIf(!enabled)("README screenshot", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.stop());

  it("when two people have chatted, then the chat page is captured for the README", async () => {
    const { baseUrl } = stack;
    const [maya, leo, sam, priya, jonas] = await Promise.all([
      signInApi(baseUrl, "maya@example.com", "Maya Chen"),
      signInApi(baseUrl, "leo@example.com", "Leo Park"),
      signInApi(baseUrl, "sam@example.com", "Sam Rivera"),
      signInApi(baseUrl, "priya@example.com", "Priya Nair"),
      signInApi(baseUrl, "jonas@example.com", "Jonas Weber"),
    ]);
    const say = async (from: ApiUser, to: ApiUser, text: string) => (await sendApi(from, to, text)).seq;

    await say(jonas, maya, "Thanks for the quick review!");
    await markReadApi(maya, jonas, await say(maya, jonas, "Anytime. Ship it."));
    await say(priya, maya, "Could you send me the slides from Tuesday?");
    await markReadApi(maya, priya, await say(maya, priya, "Sure, right after lunch."));
    await say(sam, maya, "Are we still on for climbing tonight?");
    await say(sam, maya, "I can bring the spare harness.");
    const conversation: [ApiUser, string][] = [
      [leo, "Morning! Did you get a chance to look at the new onboarding flow?"],
      [maya, "Just did. The first screen is so much clearer now."],
      [maya, "One thing: the skip button is hard to find on a phone."],
      [leo, "Good catch. I'll make it a real button instead of a link."],
      [leo, "Want to pair on it tomorrow morning?"],
      [maya, "Yes! 10:00 works for me. I'll bring coffee."],
    ];
    let last = 0;
    for (const [from, text] of conversation) last = await say(from, from === maya ? leo : maya, text);
    await markReadApi(leo, maya, last);

    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      // Leo is online, with the conversation open, typing his answer.
      const leoContext = await browser.newContext();
      await useSession(leoContext, leo);
      const leoPage = await leoContext.newPage();
      await leoPage.goto(`${baseUrl}/chat`);
      await leoPage.locator('[data-testid="conversation-item"][data-peer-email="maya@example.com"]').click();

      const context = await browser.newContext({
        viewport: { width: 1280, height: 800 },
        colorScheme: "light",
        deviceScaleFactor: 1,
        locale: "en-US",
        timezoneId: lateMorningZone(),
      });
      await useSession(context, maya);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/chat`);
      await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
      await page.locator('[data-testid="conversation-item"][data-peer-email="leo@example.com"]').click();
      await page.getByTestId("seen-marker").waitFor();
      await page.getByTestId("conversation-header").getByTestId("peer-presence").filter({ hasText: "Online" }).waitFor();
      // The composer keeps focus out of the picture: nothing is focused in a screenshot.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

      await leoPage.getByTestId("composer").pressSequentially("Perfect, see you", { delay: 30 });
      await page.getByTestId("typing-indicator").waitFor();
      await page.waitForTimeout(400);
      await page.screenshot({ path: OUTPUT });
    } finally {
      await browser.close();
    }
    expect(OUTPUT).toMatch(/chat\.png$/);
  });
});
