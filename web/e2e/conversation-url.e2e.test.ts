import { randomUUID } from "node:crypto";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendApi, signInApi, useSession, type ApiUser } from "./support/seed";
import { checkChromium, fetchMagicLink, launchUser, startStack, type BrowserUser, type Stack } from "./support/stack";

/**
 * One URL per conversation (`/chat/<peer id>`): deep links, Back and Forward (also in the
 * phone layout), the sign-in confirm page left out of the history, and a clear page for a
 * link that is not one of your conversations.
 */

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

const header = (page: Page) => page.getByTestId("conversation-header");
const pathOf = (page: Page) => new URL(page.url()).pathname;
const texts = (page: Page) => page.getByTestId("message-content").allInnerTexts();
const conversationWith = (page: Page, email: string) => page.locator(`[data-testid="conversation-item"][data-peer-email="${email}"]`);

describe.skipIf(!chromium.available && !required)("a URL per conversation", () => {
  let stack: Stack;
  let browser: BrowserUser;
  let ann: ApiUser;
  let bob: ApiUser;
  let cal: ApiUser;
  let dan: ApiUser;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    // Ann signs in over the API and then in the browser: two links within a minute.
    [stack, browser] = await Promise.all([startStack({ env: { RATE_LIMIT_LOGIN_EMAIL: "10/60" } }), launchUser("url")]);
    const signIn = (name: string) => signInApi(stack.baseUrl, `${name}-${run}@example.test`);
    [ann, bob, cal, dan] = await Promise.all([signIn("ann"), signIn("bob"), signIn("cal"), signIn("dan")]);
    await sendApi(bob, ann, "from bob");
    await sendApi(cal, ann, "from cal");
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const report = () => console.error([...(browser?.errors ?? []), stack?.logs() ?? ""].join("\n"));

  it("when a signed-out user opens a conversation link, then after signing in they land on it, and Back skips the confirm page", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const page = browser.page;
    const { baseUrl } = stack;
    await page.goto(`${baseUrl}/login`);
    await page.goto(`${baseUrl}/chat/${bob.user.id}`);
    await page.waitForURL((url) => url.pathname === "/login");
    expect(new URL(page.url()).searchParams.get("next")).toBe(`/chat/${bob.user.id}`);

    const since = Date.now();
    await page.getByTestId("login-email").fill(ann.user.email);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-sent").waitFor();
    await page.goto(await fetchMagicLink(baseUrl, ann.user.email, since));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${baseUrl}/chat/${bob.user.id}`);
    await header(page).filter({ hasText: bob.user.email }).waitFor();
    await expect.poll(() => texts(page)).toEqual(["from bob"]);

    // The confirm page was replaced: Back goes to where the user was before it.
    await page.goBack();
    await page.waitForLoadState();
    expect(pathOf(page)).not.toBe("/auth/confirm");
  });

  it("when a deep link is opened and conversations are switched, then Back and Forward walk through them", async ({ onTestFailed }) => {
    onTestFailed(report);
    const page = browser.page;
    await useSession(browser.context, ann);
    await page.goto(`${stack.baseUrl}/chat/${cal.user.id}`);
    await header(page).filter({ hasText: cal.user.email }).waitFor();
    await expect.poll(() => texts(page)).toEqual(["from cal"]);

    await conversationWith(page, bob.user.email).click();
    await header(page).filter({ hasText: bob.user.email }).waitFor();
    expect(pathOf(page)).toBe(`/chat/${bob.user.id}`);
    await expect.poll(() => texts(page)).toEqual(["from bob"]);

    await page.goBack();
    await header(page).filter({ hasText: cal.user.email }).waitFor();
    expect(pathOf(page)).toBe(`/chat/${cal.user.id}`);
    await expect.poll(() => texts(page)).toEqual(["from cal"]);

    await page.goForward();
    await header(page).filter({ hasText: bob.user.email }).waitFor();
    expect(pathOf(page)).toBe(`/chat/${bob.user.id}`);

    // A reload keeps the conversation the URL names.
    await page.reload();
    await header(page).filter({ hasText: bob.user.email }).waitFor();
    await expect.poll(() => texts(page)).toEqual(["from bob"]);
  });

  it("when the page is phone-sized, then Back from a conversation returns to the list, not out of the app", async ({ onTestFailed }) => {
    onTestFailed(report);
    const page = browser.page;
    await page.setViewportSize({ width: 375, height: 740 });
    const sidebar = page.getByTestId("sidebar");
    await page.goto(`${stack.baseUrl}/chat`);
    await sidebar.waitFor();

    await conversationWith(page, cal.user.email).click();
    await page.getByTestId("composer").waitFor();
    expect(await sidebar.isVisible()).toBe(false);
    expect(pathOf(page)).toBe(`/chat/${cal.user.id}`);

    // The browser's (or the phone's) Back.
    await page.goBack();
    await conversationWith(page, cal.user.email).waitFor();
    expect(pathOf(page)).toBe("/chat");
    expect(await page.getByTestId("composer").count()).toBe(0);

    // The app's own back button does the same, and Forward reopens the conversation.
    await page.goForward();
    await page.getByTestId("composer").waitFor();
    await page.getByTestId("back-button").click();
    await conversationWith(page, cal.user.email).waitFor();
    expect(pathOf(page)).toBe("/chat");
    await page.goForward();
    await header(page).filter({ hasText: cal.user.email }).waitFor();
    await page.setViewportSize({ width: 1200, height: 760 });
  });

  it("when a link names an unknown id or someone without a conversation, then a clear page says so", async ({ onTestFailed }) => {
    onTestFailed(report);
    const page = browser.page;
    const errorsBefore = browser.errors.length;
    for (const peerId of [randomUUID(), dan.user.id, "not-an-id"]) {
      const response = await page.goto(`${stack.baseUrl}/chat/${peerId}`);
      expect(response?.status()).toBe(200);
      await page.getByTestId("conversation-not-found").waitFor();
      expect(await page.getByRole("heading", { name: "No conversation here" }).isVisible()).toBe(true);
      expect(await header(page).count()).toBe(0);
    }
    await page.getByTestId("not-found-back").click();
    await page.waitForURL(`${stack.baseUrl}/chat`);
    await page.getByTestId("no-conversation").waitFor();
    expect(browser.errors.slice(errorsBefore)).toEqual([]);
  });
});
