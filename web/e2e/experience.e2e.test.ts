import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSeriousViolations } from "./support/axe";
import { sendApi, signInApi } from "./support/seed";
import { checkChromium, launchUser, loginViaMailbox, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

/**
 * What makes the chat pleasant, in the browser: presence, typing, "Seen", unread counts
 * across tabs, the profile name, dark mode, the phone layout, and an axe check of both pages.
 * One stack and two browsers for the whole file; the tests run in order and build on each other.
 */

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

const SHOTS = path.join(WEB_DIR, "test-results");
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `experience-${name}.png`) });

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
const conversationWith = (page: Page, email: string) => page.locator(`[data-testid="conversation-item"][data-peer-email="${email}"]`);
const headerPresence = (page: Page) => page.getByTestId("conversation-header").getByTestId("peer-presence");
const textOf = async (page: Page, testId: string) =>
  (await page.getByTestId(testId).count()) > 0 ? page.getByTestId(testId).first().innerText() : null;

/** Colour scheme through the CSS media feature only, as the system setting would set it. */
async function applyColorScheme(page: Page, colorScheme: "light" | "dark") {
  await page.emulateMedia({ colorScheme });
  // Let colour transitions (120 ms) settle, or axe measures contrast mid-fade.
  await page.waitForTimeout(300);
}

describe.skipIf(!chromium.available && !required)("the chat experience in the browser", () => {
  let stack: Stack;
  let ann: BrowserUser;
  let ben: BrowserUser;
  /** Console errors of extra tabs (launchUser records those of each user's first tab). */
  const extraErrors: string[] = [];
  const run = Date.now().toString(36);
  const annEmail = `ann-${run}@example.test`;
  const benEmail = `ben-${run}@example.test`;
  const calEmail = `cal-${run}@example.test`;

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    mkdirSync(SHOTS, { recursive: true });
    [stack, ann, ben] = await Promise.all([startStack(), launchUser("ann"), launchUser("ben")]);
  });

  afterAll(async () => {
    await Promise.all([ann?.close(), ben?.close()]);
    await stack?.stop();
  });

  const report = () => console.error([...(ann?.errors ?? []), ...(ben?.errors ?? []), ...extraErrors, stack?.logs() ?? ""].join("\n"));

  it("when the sign-in page is checked with axe in light and dark, then nothing serious or critical is found", async ({ onTestFailed }) => {
    onTestFailed(report);
    const page = ann.page;
    await page.goto(`${stack.baseUrl}/login`);
    await page.getByTestId("login-email").waitFor();
    for (const scheme of ["light", "dark"] as const) {
      await applyColorScheme(page, scheme);
      expect(await findSeriousViolations(page), `login, ${scheme}`).toEqual([]);
      await shot(page, `login-${scheme}`);
    }
    await applyColorScheme(page, "light");
  });

  it("when a new user signs in, then an empty state explains how to start, and a display name can be set", async ({ onTestFailed }) => {
    onTestFailed(report);
    const a = ann.page;
    await Promise.all([loginViaMailbox(a, stack.baseUrl, annEmail), loginViaMailbox(ben.page, stack.baseUrl, benEmail)]);
    await a.getByTestId("conversations-empty").filter({ hasText: "searching for someone by their email" }).waitFor();
    expect(await a.title()).toBe("Chat");
    // Until a name is chosen, the email's local part stands in.
    expect(await a.getByTestId("current-user-name").innerText()).toBe(`ann-${run}`);

    await a.getByTestId("profile-button").click();
    await a.getByTestId("display-name-input").fill("Ann Archer");
    await a.getByTestId("display-name-save").click();
    await a.getByText("Saved. People you chat with see this name.").waitFor();
    await shot(a, "profile-dialog");
    await a.keyboard.press("Escape");
    await a.getByTestId("profile-dialog").waitFor({ state: "hidden" });
    expect(await a.getByTestId("current-user-name").innerText()).toBe("Ann Archer");
    await shot(a, "empty");
  });

  it("when the peer comes and goes, then the conversation header shows Online, then Last seen", async ({ onTestFailed }) => {
    onTestFailed(report);
    const [a, b] = [ann.page, ben.page];
    await Promise.all([waitUntilLive(a), waitUntilLive(b)]);
    await a.getByTestId("user-search").fill(benEmail);
    await a.getByTestId("user-result").filter({ hasText: benEmail }).click();
    await a.getByTestId("conversation-header").filter({ hasText: benEmail }).waitFor();
    // Presence is shared only between people who share a conversation: Ben says hello first
    // (from his page, without opening the conversation, so Ann's next message stays unread).
    const annId = await a.evaluate(async () => ((await (await fetch("/api/profile")).json()) as { data: { id: string } }).data.id);
    await b.evaluate(async (to) => {
      const body = JSON.stringify({ recipientId: to, content: "Hello Ann", clientId: crypto.randomUUID() });
      const response = await fetch("/api/chat/send", { method: "POST", headers: { "content-type": "application/json" }, body });
      if (!response.ok) throw new Error(`send: HTTP ${response.status}`);
    }, annId);
    await a.getByTestId("message").filter({ hasText: "Hello Ann" }).waitFor();
    await expect.poll(() => headerPresence(a).innerText()).toBe("Online");

    // Ben leaves (his only tab navigates away): offline, seen just now.
    await b.goto("about:blank");
    await expect.poll(() => headerPresence(a).innerText()).toBe("Last seen just now");
    expect(await a.getByTestId("conversation-header").getByTestId("presence-dot").count()).toBe(0);
    await shot(a, "presence-offline");

    await b.goto(`${stack.baseUrl}/chat`);
    await waitUntilLive(b);
    await expect.poll(() => headerPresence(a).innerText()).toBe("Online");
  });

  it("when a message arrives and the peer reads it, then the peer's list counts it unread and the sender sees Seen", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const [a, b] = [ann.page, ben.page];
    const composer = a.getByTestId("composer");
    await composer.fill("Hi Ben! Do you have a minute for the launch checklist?");
    await composer.press("Enter");
    await a.getByTestId("message").and(a.locator('[data-mine="true"][data-status="sent"]')).waitFor();
    expect(await a.getByTestId("seen-marker").count()).toBe(0);

    // Ben's list: Ann by her display name, one unread, and the tab title says so.
    const fromAnn = conversationWith(b, annEmail);
    await fromAnn.getByTestId("unread-count").filter({ hasText: "1" }).waitFor();
    expect(await fromAnn.getByTestId("conversation-name").innerText()).toBe("Ann Archer");
    await expect.poll(() => b.title()).toBe("(1) Chat");
    await shot(b, "unread");

    // Ben opens it: read. His count clears; Ann sees "Seen" under her message.
    await fromAnn.click();
    await b.getByTestId("message").filter({ hasText: "launch checklist" }).waitFor();
    await a.getByTestId("seen-marker").waitFor();
    await expect.poll(() => b.title()).toBe("Chat");
    expect(await fromAnn.getByTestId("unread-count").count()).toBe(0);
    await shot(a, "seen");
  });

  it("when the peer types, then the indicator appears, and goes when they clear, pause, or send", async ({ onTestFailed }) => {
    onTestFailed(report);
    const [a, b] = [ann.page, ben.page];
    const typing = a.getByTestId("typing-indicator");
    const composer = b.getByTestId("composer");

    let started = Date.now();
    await composer.pressSequentially("Sure", { delay: 40 });
    await typing.waitFor({ timeout: 3_000 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await typing.innerText()).toBe(`ben-${run} is typing…`);
    await conversationWith(a, benEmail).getByTestId("typing-hint").waitFor(); // the list hints too
    await shot(a, "typing");

    // Clearing the box stops it at once.
    await composer.fill("");
    await typing.waitFor({ state: "hidden", timeout: 3_000 });

    // A pause: gone after a few seconds of silence.
    await composer.pressSequentially("Hm", { delay: 40 });
    await typing.waitFor({ timeout: 3_000 });
    started = Date.now();
    await typing.waitFor({ state: "hidden", timeout: 8_000 });
    expect(Date.now() - started).toBeGreaterThan(2_000);

    // Sending: the message arrives and the indicator is gone.
    await composer.pressSequentially(", sure. What's up?", { delay: 20 });
    await typing.waitFor({ timeout: 3_000 });
    await composer.press("Enter");
    await a.getByTestId("message").filter({ hasText: "What's up?" }).waitFor();
    await typing.waitFor({ state: "hidden", timeout: 3_000 });
  });

  it("when a message arrives for a user with two tabs, then both count it, and reading it in one clears the other", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    const a2 = await ann.context.newPage();
    a2.on("console", (message) => {
      if (message.type() === "error") extraErrors.push(`[ann tab 2 console] ${message.text()}`);
    });
    await a2.goto(`${stack.baseUrl}/chat`);
    await waitUntilLive(a2);

    const cal = await signInApi(stack.baseUrl, calEmail, "Cal Carter");
    const annId = await a.evaluate(
      async () => ((await (await fetch("/api/auth/session")).json()) as { data: { user: { id: string } } }).data.user.id,
    );
    await sendApi(cal, annId, "Lunch at noon?");

    for (const page of [a, a2]) {
      await conversationWith(page, calEmail).getByTestId("unread-count").filter({ hasText: "1" }).waitFor();
      await expect.poll(() => page.title()).toBe("(1) Chat");
    }
    expect(await textOf(a, "conversation-preview")).toBe("Lunch at noon?"); // newest first
    await shot(a2, "unread-two-tabs");

    // Read in the second tab: the first clears too.
    await conversationWith(a2, calEmail).click();
    await a2.getByTestId("message").filter({ hasText: "Lunch at noon?" }).waitFor();
    await expect.poll(() => a.title()).toBe("Chat");
    expect(await conversationWith(a, calEmail).getByTestId("unread-count").count()).toBe(0);
    await a2.close();
  });

  it("when the conversation list cannot load, then an error with a retry button shows, and retrying loads it", async ({ onTestFailed }) => {
    onTestFailed(report);
    const page = await ann.context.newPage();
    // Every load fails until "Try again" is pressed: the page also retries by itself (on connect),
    // and one of those succeeding just before the click would take the button away.
    await page.addInitScript(() => {
      document.addEventListener(
        "click",
        (event) => {
          if (event.target instanceof Element && event.target.closest('[data-testid="conversations-retry"]')) {
            (window as { retryPressed?: boolean }).retryPressed = true;
          }
        },
        true,
      );
    });
    await page.route("**/api/chat/conversations", async (route) => {
      const pressed = await page.evaluate(() => (window as { retryPressed?: boolean }).retryPressed === true).catch(() => false);
      return pressed ? route.continue() : route.abort("connectionreset");
    });
    await page.goto(`${stack.baseUrl}/chat`);
    await page.getByTestId("conversations-error").waitFor();
    await shot(page, "list-error");
    await page.getByTestId("conversations-retry").click();
    await conversationWith(page, calEmail).waitFor();
    await page.close();
  });

  it("when the chat page is checked with axe in light and dark, then nothing serious or critical is found", async ({ onTestFailed }) => {
    onTestFailed(report);
    const a = ann.page;
    await a.getByTestId("message").filter({ hasText: "What's up?" }).waitFor();
    for (const scheme of ["light", "dark"] as const) {
      await applyColorScheme(a, scheme);
      const background = await a.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background, scheme).toBe(scheme === "dark" ? "rgb(15, 17, 21)" : "rgb(244, 245, 248)");
      expect(await findSeriousViolations(a), `chat, ${scheme}`).toEqual([]);
      await shot(a, `chat-${scheme}`);
    }
    await applyColorScheme(a, "light");
  });

  it("when a theme is picked, then it wins over the system setting from the first paint, and System follows the setting again", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    const background = () => a.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const pick = async (label: "Light" | "Dark" | "System") => {
      await a.getByTestId("theme-button").click();
      await a.getByRole("menuitemradio", { name: label }).click();
      await a.getByTestId("theme-menu").waitFor({ state: "hidden" });
    };
    await applyColorScheme(a, "light");
    await pick("Dark");
    expect(await background()).toBe("rgb(15, 17, 21)");
    expect(await findSeriousViolations(a), "chat, dark by choice").toEqual([]);

    // The inline script sets the class before the stylesheet applies: dark at the first paint.
    await a.reload({ waitUntil: "commit" });
    await a.waitForFunction(() => document.body !== null);
    expect(await a.evaluate(() => document.documentElement.className)).toBe("dark");
    await waitUntilLive(a);
    expect(await background()).toBe("rgb(15, 17, 21)");

    await pick("System");
    expect(await background()).toBe("rgb(244, 245, 248)");
    await applyColorScheme(a, "dark");
    expect(await background()).toBe("rgb(15, 17, 21)");
    await applyColorScheme(a, "light");
  });

  it("when only the keyboard is used, then a conversation can be opened and answered, with a visible focus ring", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    await a.getByTestId("user-search").focus();
    await a.keyboard.press("Tab");
    const focused = () =>
      a.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        return { testId: element.dataset.testid, email: element.dataset.peerEmail, outline: getComputedStyle(element).outlineStyle };
      });
    // The newest conversation comes first: Cal's.
    expect(await focused()).toEqual({ testId: "conversation-item", email: calEmail, outline: "solid" });
    await a.keyboard.press("Enter");
    await a.getByTestId("conversation-header").filter({ hasText: calEmail }).waitFor();
    // The composer takes the focus: type and send.
    await a.keyboard.type("Noon works. See you there!");
    await a.keyboard.press("Enter");
    await a.getByTestId("message").filter({ hasText: "Noon works" }).and(a.locator('[data-status="sent"]')).waitFor();
    // The profile dialog opens from the keyboard and Escape closes it.
    await a.getByTestId("profile-button").focus();
    await a.keyboard.press("Enter");
    await a.getByTestId("display-name-input").waitFor();
    await a.keyboard.press("Escape");
    await a.getByTestId("profile-dialog").waitFor({ state: "hidden" });
  });

  it("when the page is phone-sized, then the list and the conversation are two screens with a back button", async ({ onTestFailed }) => {
    onTestFailed(report);
    const b = ben.page;
    await b.setViewportSize({ width: 375, height: 740 });
    const sidebar = b.getByTestId("sidebar");
    const pane = b.getByTestId("conversation-pane");
    const fitsWidth = () => b.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

    // Ben had Ann's conversation open: it fills the screen.
    await b.getByTestId("composer").waitFor();
    expect(await sidebar.isVisible()).toBe(false);
    expect(await fitsWidth()).toBe(true);
    await shot(b, "phone-conversation");

    await b.getByTestId("back-button").click();
    await sidebar.waitFor();
    expect(await pane.isVisible()).toBe(false);
    expect(await fitsWidth()).toBe(true);
    await shot(b, "phone-list");

    await conversationWith(b, annEmail).click();
    await b.getByTestId("composer").waitFor();
    expect(await sidebar.isVisible()).toBe(false);
    await b.getByRole("button", { name: "Back to conversations" }).click();
    await conversationWith(b, annEmail).waitFor();

    await applyColorScheme(b, "dark");
    await shot(b, "phone-list-dark");
    expect(await findSeriousViolations(b), "phone, dark").toEqual([]);
  });

  it("when every page above was used, then none reported a Content Security Policy violation", () => {
    const errors = [...ann.errors, ...ben.errors, ...extraErrors];
    expect(errors.filter((error) => /Content Security Policy/i.test(error))).toEqual([]);
  });
});
