import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findSeriousViolations } from "./support/axe";
import { checkChromium, launchUser, loginViaMailbox, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

// Git-ignored: the screenshots of a group for the review note.
const SHOTS = path.join(WEB_DIR, "test-results", "screenshots");

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
const message = (page: Page, text: string) => page.getByTestId("message").filter({ hasText: text });
const groupItem = (page: Page, name: string) =>
  page.locator('[data-testid="conversation-item"][data-kind="group"]').filter({ has: page.getByText(name, { exact: true }) });

async function send(page: Page, text: string) {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  await composer.press("Enter");
  await message(page, text).and(page.locator('[data-status="sent"]')).waitFor();
}

/** Colour scheme through the CSS media feature, then a moment for the 120 ms colour transitions. */
async function applyColorScheme(page: Page, colorScheme: "light" | "dark") {
  await page.emulateMedia({ colorScheme });
  await page.waitForTimeout(300);
}

/** Every Socket.IO frame the page receives, as text: what reached this user's browser at all. */
function recordSocketFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on("websocket", (socket) => {
    socket.on("framereceived", (frame) => frames.push(typeof frame.payload === "string" ? frame.payload : frame.payload.toString("utf8")));
  });
  return frames;
}

describe.skipIf(!chromium.available && !required)("group conversations in the browser", () => {
  let stack: Stack;
  let ann: BrowserUser;
  let ben: BrowserUser;
  let cal: BrowserUser;
  let calFrames: string[] = [];
  const run = Date.now().toString(36);
  // Display names default to the email's local part: "ann-<run>".
  const [annName, benName, calName] = ["ann", "ben", "cal"].map((name) => `${name}-${run}`) as [string, string, string];
  const [annEmail, benEmail, calEmail] = [annName, benName, calName].map((name) => `${name}@example.test`) as [string, string, string];
  const groupName = `Trip ${run}`;
  const report = () =>
    console.error([...(ann?.errors ?? []), ...(ben?.errors ?? []), ...(cal?.errors ?? []), stack?.logs() ?? ""].join("\n"));

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    mkdirSync(SHOTS, { recursive: true });
    [stack, ann, ben, cal] = await Promise.all([startStack(), launchUser("ann"), launchUser("ben"), launchUser("cal")]);
    calFrames = recordSocketFrames(cal.page);
    await loginViaMailbox(ben.page, stack.baseUrl, benEmail);
    await loginViaMailbox(cal.page, stack.baseUrl, calEmail);
    await loginViaMailbox(ann.page, stack.baseUrl, annEmail);
    await Promise.all([ann, ben, cal].map((user) => waitUntilLive(user.page)));
  });

  afterAll(async () => {
    await Promise.all([ann?.close(), ben?.close(), cal?.close()]);
    await stack?.stop();
  });

  it("when a group is created from the keyboard, then the dialog validates, passes axe, and everyone gets the group", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const a = ann.page;
    await a.getByTestId("new-group").focus();
    await a.keyboard.press("Enter");
    const dialog = a.getByTestId("new-group-dialog");
    await dialog.waitFor();
    // The focus moves into the dialog (its first field); creating with nothing filled in says what is missing.
    await expect.poll(() => a.evaluate(() => document.activeElement?.getAttribute("data-testid"))).toBe("group-name-input");
    await a.keyboard.type(groupName);
    await dialog.getByTestId("create-group").click();
    expect(await dialog.getByTestId("group-error").innerText()).toContain("at least 2 people");

    // Anyone by their exact email: tick Ben with the keyboard (Tab to the result, Space).
    const search = dialog.getByTestId("people-picker-search");
    await search.fill(benEmail);
    await dialog.getByTestId("picker-result").filter({ hasText: benEmail }).waitFor();
    await search.press("Enter"); // Enter in the search box does not submit the form
    expect(await dialog.isVisible()).toBe(true);
    await a.keyboard.press("Tab");
    await a.keyboard.press("Space");
    await dialog.getByTestId("picked-people").filter({ hasText: benName }).waitFor();
    await search.fill(calEmail);
    await dialog.getByTestId("picker-result").filter({ hasText: calEmail }).click();
    await dialog.getByTestId("picked-people").filter({ hasText: calName }).waitFor();
    for (const scheme of ["light", "dark"] as const) {
      await applyColorScheme(a, scheme);
      expect(await findSeriousViolations(a), `new group dialog, ${scheme}`).toEqual([]);
    }
    await applyColorScheme(a, "light");
    await dialog.getByTestId("create-group").focus();
    await a.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });

    // Ann is in the group: its header, three members, the "created" line.
    const header = a.getByTestId("conversation-header");
    await header.getByTestId("group-name").filter({ hasText: groupName }).waitFor();
    expect(await header.getByTestId("member-count").innerText()).toBe("3 members");
    await a
      .getByTestId("system-message")
      .filter({ hasText: `You created the group "${groupName}"` })
      .waitFor();
    expect(a.url()).toMatch(/\/chat\/g\/[^/]+$/);

    // Ben and Cal get it in their lists live, and open it.
    for (const page of [ben.page, cal.page]) {
      await groupItem(page, groupName).click();
      await page.getByTestId("conversation-header").getByTestId("group-name").filter({ hasText: groupName }).waitFor();
      await page
        .getByTestId("system-message")
        .filter({ hasText: `${annName} created the group` })
        .waitFor();
    }
  });

  it("when three members chat, then messages carry senders, typing says who, and Seen by counts the readers", async ({ onTestFailed }) => {
    onTestFailed(report);
    const [a, b, c] = [ann.page, ben.page, cal.page];
    await send(a, "Hello group!");
    await message(b, "Hello group!").waitFor();
    await message(c, "Hello group!").waitFor();
    // Others' messages show who wrote them.
    expect(await message(b, "Hello group!").getByTestId("sender-name").innerText()).toBe(annName);

    // Ben types: Ann and Cal see who.
    await b.getByTestId("composer").fill("Hi Ann");
    await a
      .getByTestId("typing-indicator")
      .filter({ hasText: `${benName} is typing…` })
      .waitFor();
    await c
      .getByTestId("typing-indicator")
      .filter({ hasText: `${benName} is typing…` })
      .waitFor();
    await b.getByTestId("composer").press("Enter");
    await message(a, "Hi Ann").waitFor();
    await message(c, "Hi Ann").waitFor();
    await send(c, "Cal here");
    await message(a, "Cal here").waitFor();
    await message(b, "Cal here").waitFor();

    // Both read Ann's next message: "Seen by 2", and who on hover.
    await send(a, "Lunch at noon?");
    await message(b, "Lunch at noon?").waitFor();
    await message(c, "Lunch at noon?").waitFor();
    const seenBy = message(a, "Lunch at noon?").getByTestId("seen-by");
    await seenBy.filter({ hasText: "Seen by 2" }).waitFor();
    await seenBy.hover();
    const names = await message(a, "Lunch at noon?").getByTestId("seen-by-names").innerText();
    expect(names).toContain(benName);
    expect(names).toContain(calName);

    // The conversation as the review note shows it (1280×800, light and dark), checked with axe.
    await a.setViewportSize({ width: 1280, height: 800 });
    await a.mouse.move(0, 0);
    await a.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    for (const scheme of ["light", "dark"] as const) {
      await applyColorScheme(a, scheme);
      expect(await findSeriousViolations(a), `group conversation, ${scheme}`).toEqual([]);
      await a.screenshot({ path: path.join(SHOTS, `group-${scheme}.png`) });
    }
    await applyColorScheme(a, "light");
  });

  it("when an owner removes a member mid-way, then the others chat on live and the removed one sees the removed state and gets nothing more", async ({
    onTestFailed,
  }) => {
    onTestFailed(report);
    const [a, b, c] = [ann.page, ben.page, cal.page];

    // Ann opens the members dialog: three members, herself the owner; she removes Cal (after confirming).
    await a.getByTestId("members-button").click();
    const dialog = a.getByTestId("members-dialog");
    await dialog.getByTestId("member").nth(2).waitFor();
    expect(await dialog.getByTestId("member").count()).toBe(3);
    expect(await dialog.getByTestId("member").filter({ hasText: annName }).getByTestId("member-role").innerText()).toBe("Owner");
    expect(await findSeriousViolations(a), "members dialog").toEqual([]);
    await a.screenshot({ path: path.join(SHOTS, "group-members-light.png") });
    await dialog.getByTestId("member").filter({ hasText: calEmail }).getByTestId("remove-member").click();
    await dialog.getByTestId("confirm-action").click();
    await dialog.getByTestId("member").nth(1).waitFor();
    await expect.poll(() => dialog.getByTestId("member").count()).toBe(2);
    await a.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    // Cal: the removed state, and the group leaves his list.
    await c.getByTestId("group-removed").filter({ hasText: "You are no longer a member of this group" }).waitFor();
    await groupItem(c, groupName).waitFor({ state: "detached" });
    // Ben sees the removal in the timeline and the new count.
    await b
      .getByTestId("system-message")
      .filter({ hasText: `${annName} removed ${calName}` })
      .waitFor();
    await b.getByTestId("member-count").filter({ hasText: "2 members" }).waitFor();

    // Ann and Ben keep chatting live.
    const afterRemoval = `After Cal left ${run}`;
    await send(a, afterRemoval);
    await message(b, afterRemoval).waitFor();
    await send(b, "Still here");
    await message(a, "Still here").waitFor();

    // Ann renames the group from the members dialog (keyboard): Ben sees the new name live.
    const newName = `Trip ${run} (two of us)`;
    await a.getByTestId("members-button").click();
    await dialog.getByTestId("rename-input").fill(newName);
    await dialog.getByTestId("rename-input").press("Enter");
    await a.getByTestId("conversation-header").getByTestId("group-name").filter({ hasText: newName }).waitFor();
    await a.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await b.getByTestId("conversation-header").getByTestId("group-name").filter({ hasText: newName }).waitFor();
    await b
      .getByTestId("system-message")
      .filter({ hasText: `renamed the group to "${newName}"` })
      .waitFor();

    // Sentinel: a direct message to Cal, sent after the group message, reaches him; the group message never did.
    const sentinel = `Direct to Cal ${run}`;
    await a.getByTestId("user-search").fill(calEmail);
    await a.getByTestId("user-result").filter({ hasText: calEmail }).click();
    await a.getByTestId("conversation-header").filter({ hasText: calEmail }).waitFor();
    await send(a, sentinel);
    await c.locator(`[data-testid="conversation-item"][data-peer-email="${annEmail}"]`).filter({ hasText: sentinel }).waitFor();
    expect(calFrames.some((frame) => frame.includes(sentinel))).toBe(true);
    expect(calFrames.filter((frame) => frame.includes(afterRemoval) || frame.includes(newName))).toEqual([]);
    expect(await c.getByText(afterRemoval).count()).toBe(0);
  });
});
