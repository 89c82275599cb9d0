// SCRATCH (not for commit): exercises reconnect, catch-up, paging, retry and token expiry.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchUser, loginViaMailbox, startStack, WEB_DIR, type BrowserUser, type Stack } from "./support/stack";

const OUT = path.join(WEB_DIR, "test-results");
const state = (page: Page) => page.getByTestId("connection-status").getAttribute("data-state");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("scratch", () => {
  let stack: Stack;
  let alice: BrowserUser;
  let bob: BrowserUser;

  beforeAll(async () => {
    stack = await startStack({ env: { ACCESS_TOKEN_TTL_SECONDS: "30" } });
    [alice, bob] = await Promise.all([launchUser("alice"), launchUser("bob")]);
  });
  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await stack?.stop();
  });

  it("resilience", { timeout: 180_000 }, async ({ onTestFailed }) => {
    onTestFailed(() => console.error([...alice.errors, ...bob.errors, stack.logs()].join("\n")));
    mkdirSync(OUT, { recursive: true });
    const a = alice.page;
    const b = bob.page;
    await loginViaMailbox(b, stack.baseUrl, "bob@example.test");
    await loginViaMailbox(a, stack.baseUrl, "alice@example.test");
    const bobSession = await (await b.request.get(`${stack.baseUrl}/api/auth/session`)).json();
    const aliceSession = await (await a.request.get(`${stack.baseUrl}/api/auth/session`)).json();
    const aliceId = aliceSession.data.user.id;
    const bobSend = async (content: string) => {
      const res = await b.request.post(`${stack.baseUrl}/api/chat/send`, {
        data: { recipientId: aliceId, content, clientId: crypto.randomUUID() },
      });
      expect(res.status()).toBe(201);
    };
    console.log("bob", bobSession.data.user.id, "alice", aliceId);

    // Paging: 120 messages, then open.
    for (let i = 1; i <= 120; i++) await bobSend(`m${i}`);
    await a.getByTestId("conversation-item").filter({ hasText: "m120" }).waitFor();
    await a.getByTestId("conversation-item").first().click();
    await a.getByTestId("message").filter({ hasText: "m120" }).waitFor();
    expect(await a.getByTestId("message").count()).toBe(50);
    await a.locator(".message-scroll").evaluate((el) => (el.scrollTop = 0));
    await a.waitForFunction(() => document.querySelectorAll('[data-testid="message"]').length === 100);
    await a.locator(".message-scroll").evaluate((el) => (el.scrollTop = 0));
    await a.waitForFunction(() => document.querySelectorAll('[data-testid="message"]').length === 120);
    const texts = await a.getByTestId("message-content").allInnerTexts();
    expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `m${i + 1}`));
    await a.screenshot({ path: path.join(OUT, "scratch-paged.png") });

    // Outage: kill the socket server, send meanwhile, restart: catch-up.
    await stack.socket.kill();
    await a.locator('[data-testid="connection-status"][data-state="reconnecting"]').waitFor();
    await a.screenshot({ path: path.join(OUT, "scratch-reconnecting.png") });
    for (let i = 1; i <= 3; i++) await bobSend(`offline${i}`);
    await stack.socket.start();
    await a.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 30_000 });
    await a.getByTestId("message").filter({ hasText: "offline3" }).waitFor();
    expect((await a.getByTestId("message-content").allInnerTexts()).slice(-3)).toEqual(["offline1", "offline2", "offline3"]);
    expect(await a.getByTestId("message").count()).toBe(123);

    // Failed send, then retry with the same clientId.
    await a.route("**/api/chat/send", (route) => route.abort());
    await a.getByTestId("composer").fill("will fail first");
    await a.getByTestId("composer").press("Enter");
    const failed = a.locator('[data-testid="message"][data-status="failed"]');
    await failed.waitFor();
    const clientId = await failed.getAttribute("data-client-id");
    await a.screenshot({ path: path.join(OUT, "scratch-failed.png") });
    await a.unroute("**/api/chat/send");
    await failed.getByTestId("retry").click();
    await a.locator(`[data-testid="message"][data-client-id="${clientId}"][data-status="sent"]`).waitFor();
    expect(await a.getByTestId("message").filter({ hasText: "will fail first" }).count()).toBe(1);

    // Socket event before HTTP answer: still one bubble.
    await a.route("**/api/chat/send", async (route) => {
      const response = await route.fetch();
      await sleep(1500);
      await route.fulfill({ response });
    });
    await a.getByTestId("composer").fill("slow answer");
    await a.getByTestId("composer").press("Enter");
    await a.locator('[data-testid="message"][data-status="sent"]').filter({ hasText: "slow answer" }).waitFor();
    await sleep(2000);
    expect(await a.getByTestId("message").filter({ hasText: "slow answer" }).count()).toBe(1);
    await a.unroute("**/api/chat/send");

    // Over the limit: hint, no send.
    await a.getByTestId("composer").fill("x".repeat(4001));
    expect(await a.getByTestId("send-button").isDisabled()).toBe(true);
    expect(await a.getByTestId("composer-hint").innerText()).toContain("Too long");
    await a.screenshot({ path: path.join(OUT, "scratch-toolong.png") });
    await a.getByTestId("composer").fill("");

    // Token expiry (TTL 30 s): the socket is dropped and comes back; live messages still arrive.
    await a.evaluate(() => {
      const el = document.querySelector('[data-testid="connection-status"]')!;
      const w = window as unknown as { __states: string[] };
      w.__states = [];
      new MutationObserver(() => w.__states.push(`${Date.now() % 100000}:${el.getAttribute("data-state")}`)).observe(el, { attributes: true });
    });
    await sleep(Number(process.env.SCRATCH_WAIT ?? 36_000));
    console.log("transitions", await a.evaluate(() => (window as unknown as { __states: string[] }).__states));
    await a.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: 15_000 });
    await bobSend("after expiry");
    await a.getByTestId("message").filter({ hasText: "after expiry" }).waitFor({ timeout: 10_000 });
    console.log("states", await state(a), await state(b));

    // Dark mode and phone layouts.
    await a.emulateMedia({ colorScheme: "dark" });
    await a.screenshot({ path: path.join(OUT, "scratch-dark.png") });
    await b.setViewportSize({ width: 390, height: 780 });
    await b.screenshot({ path: path.join(OUT, "scratch-phone-list.png") });
    await b.getByTestId("conversation-item").first().click();
    await b.getByTestId("message").filter({ hasText: "after expiry" }).waitFor();
    await b.screenshot({ path: path.join(OUT, "scratch-phone-conversation.png") });

    const c = await launchUser("carol");
    await c.page.goto(`${stack.baseUrl}/login`);
    await c.page.screenshot({ path: path.join(OUT, "scratch-login.png") });
    await c.page.getByTestId("login-email").fill("carol@example.test");
    await c.page.getByTestId("login-submit").click();
    await c.page.getByTestId("login-sent").waitFor();
    await c.page.screenshot({ path: path.join(OUT, "scratch-login-sent.png") });
    await c.page.goto(`${stack.baseUrl}/dev/mailbox`);
    await c.page.getByTestId("mail-item").first().waitFor();
    await c.page.screenshot({ path: path.join(OUT, "scratch-mailbox.png"), fullPage: true });
    await c.close();
    // Unread dot: carol writes to alice while alice has bob open.
    await a.setViewportSize({ width: 1200, height: 760 });
    await a.emulateMedia({ colorScheme: "light" });
    const c2 = await launchUser("carol2");
    await loginViaMailbox(c2.page, stack.baseUrl, "carol@example.test");
    const res = await c2.page.request.post(`${stack.baseUrl}/api/chat/send`, { data: { recipientId: aliceId, content: "hey from carol", clientId: crypto.randomUUID() } });
    expect(res.status()).toBe(201);
    await a.locator('[data-testid="conversation-item"][data-unread]').filter({ hasText: "carol@example.test" }).waitFor();
    await a.screenshot({ path: path.join(OUT, "scratch-unread.png") });
    await c2.close();
    // Sign out.
    await a.getByTestId("sign-out").click();
    await a.waitForURL(`${stack.baseUrl}/login`);
    await a.goto(`${stack.baseUrl}/chat`);
    await a.waitForURL(`${stack.baseUrl}/login`);
    console.log(stack.socket.logs().split("\n").filter((l) => /refus|expired|auth/i.test(l)).slice(-10).join("\n"));
  });
});
