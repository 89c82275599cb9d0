import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markReadApi, sendApi, signInApi, useSession as addSessionCookie, type ApiUser } from "./support/seed";
import { CHROMIUM_PATH, checkChromium, startStack, WEB_DIR, type Stack } from "./support/stack";

/**
 * Screenshots of the UI for a review (not a test): the chat on a desktop, on a phone, in dark
 * mode, the profile dialog, the theme menu, a message's menu, the new group dialog and the sign-in page, into web/test-results/screenshots/ (or
 * UI_SCREENSHOT_DIR). `UI_SCREENSHOTS=1 npx vitest run --config vitest.e2e.config.ts` after a build.
 */
const enabled = checkChromium().available;
const OUTPUT = process.env.UI_SCREENSHOT_DIR ?? path.join(WEB_DIR, "test-results", "screenshots");

describe.skipIf(!enabled)("UI screenshots", () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    stack = await startStack();
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox", "--disable-gpu"] });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("when two people have chatted, then each view is captured", async () => {
    const { baseUrl } = stack;
    const [maya, leo, sam] = await Promise.all([
      signInApi(baseUrl, "maya@example.com", "Maya Chen"),
      signInApi(baseUrl, "leo@example.com", "Leo Park"),
      signInApi(baseUrl, "sam@example.com", "Sam Rivera"),
    ]);
    const say = async (from: ApiUser, to: ApiUser, text: string) => (await sendApi(from, to, text)).seq;
    await say(sam, maya, "Are we still on for climbing tonight?");
    await say(sam, maya, "I can bring the spare harness.");
    const conversation: [ApiUser, string][] = [
      [leo, "Morning! Did you get a chance to look at the new onboarding flow?"],
      [maya, "Just did. The first screen is so much clearer now."],
      [maya, "One thing: the skip button is hard to find on a phone."],
      [leo, "Good catch. I'll make it a real button instead of a link."],
      [maya, "Yes! 10:00 works for me. I'll bring coffee."],
    ];
    let last = 0;
    for (const [from, text] of conversation) last = await say(from, from === maya ? leo : maya, text);
    await markReadApi(leo, maya, last);

    const capture = async (
      name: string,
      options: BrowserContextOptions,
      open: "conversation" | "list" | "profile" | "theme" | "login" | "menu" | "react" | "new-group",
    ) => {
      const context = await browser.newContext({ deviceScaleFactor: 1, locale: "en-US", ...options });
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error") errors.push(message.text());
        });
        if (open === "login") {
          await page.goto(`${baseUrl}/login`);
          await page.getByTestId("login-email").waitFor();
          await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
        } else {
          await addSessionCookie(context, maya);
          await page.goto(`${baseUrl}/chat`);
          await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
          if (open !== "list") {
            await page.locator('[data-testid="conversation-item"][data-peer-email="leo@example.com"]').click();
            await page.getByTestId("seen-marker").waitFor();
            await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
          } else {
            await page.getByTestId("conversation-item").first().waitFor();
          }
          if (open === "theme") {
            await page.getByTestId("theme-button").click();
            await page.getByTestId("theme-menu").waitFor();
          }
          if (open === "profile") {
            await page.getByTestId("profile-button").click();
            await page.getByTestId("display-name-input").waitFor();
          }
          if (open === "menu" || open === "react") {
            const mine = page.locator('[data-testid="message"][data-mine="true"]').last();
            await mine.hover();
            await mine.getByTestId("message-actions").click();
            await page.getByTestId("action-delete").waitFor();
            if (open === "react") {
              await page.getByTestId("action-react").hover();
              await page.getByTestId("react-emoji").first().waitFor();
            }
          }
          if (open === "new-group") {
            await page.getByTestId("new-group").click();
            await page.getByTestId("new-group-dialog").waitFor();
          }
        }
        await page.waitForTimeout(400);
        await page.screenshot({ path: path.join(OUTPUT, `${name}.png`) });
        expect(errors, name).toEqual([]);
      } finally {
        await context.close();
      }
    };

    const desktop = { width: 1280, height: 800 };
    const phone = { width: 390, height: 844 };
    await capture("desktop-light", { viewport: desktop, colorScheme: "light" }, "conversation");
    await capture("desktop-dark", { viewport: desktop, colorScheme: "dark" }, "conversation");
    await capture("phone-light", { viewport: phone, colorScheme: "light", isMobile: true, hasTouch: true }, "conversation");
    await capture("phone-list-dark", { viewport: phone, colorScheme: "dark", isMobile: true, hasTouch: true }, "list");
    await capture("profile-light", { viewport: desktop, colorScheme: "light" }, "profile");
    await capture("profile-dark", { viewport: desktop, colorScheme: "dark" }, "profile");
    await capture("theme-menu-dark", { viewport: desktop, colorScheme: "dark" }, "theme");
    await capture("message-menu-light", { viewport: desktop, colorScheme: "light" }, "menu");
    await capture("react-menu-dark", { viewport: desktop, colorScheme: "dark" }, "react");
    await capture("new-group-light", { viewport: desktop, colorScheme: "light" }, "new-group");
    await capture("login-light", { viewport: desktop, colorScheme: "light" }, "login");
    await capture("login-dark", { viewport: desktop, colorScheme: "dark" }, "login");
  });
});
