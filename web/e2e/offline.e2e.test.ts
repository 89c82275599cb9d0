import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStorage } from "../lib/client/outbox";
import { startFaultProxy, type FaultProxy } from "./support/fault-proxy";
import { readConversation, signInViaMailbox, startNodeChat, type NodeChatUser } from "./support/node-chat";
import { checkChromium, launchUser, loginViaMailbox, startStack, type BrowserUser, type Stack } from "./support/stack";

const chromium = checkChromium();
const required = process.env.CI === "true";
if (!chromium.available && !required) console.warn(`[e2e] Skipping browser tests: ${chromium.message}`);

const OUTBOX_PREFIX = "chat:outbox:v1:";

const waitUntilLive = (page: Page) => page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor();
const bubbles = (page: Page) => page.getByTestId("message");
const texts = (page: Page) => page.getByTestId("message-content").allInnerTexts();

async function send(page: Page, text: string) {
  const composer = page.getByTestId("composer");
  await composer.fill(text);
  await composer.press("Enter");
}

/** The outbox entries this page's origin holds in localStorage. */
function readOutbox(page: Page) {
  return page.evaluate((prefix) => {
    const entries: { content: string; status: string; clientId: string }[] = [];
    for (let index = 0; index < localStorage.length; index += 1) {
      const key = localStorage.key(index)!;
      if (key.startsWith(prefix)) entries.push(JSON.parse(localStorage.getItem(key)!));
    }
    return entries.sort((a, b) => (a as unknown as { order: number }).order - (b as unknown as { order: number }).order);
  }, OUTBOX_PREFIX);
}

/**
 * Cuts this browser off from the API while pages still load: the app shell comes from the web
 * app, but every `/api/**` call fails as if the network were down, and so the socket cannot get
 * a token to connect with. `setOffline` cannot do this: a reload while offline loads nothing.
 * (The WebSocket itself is not intercepted: Playwright's WebSocket routes close a socket
 * cleanly, which Socket.IO only notices at its 20 s connect timeout.)
 */
async function installApiSwitch(context: BrowserContext) {
  let blocked = false;
  await context.route("**/api/**", (route) => (blocked ? route.abort("internetdisconnected") : route.continue()));
  return {
    set blocked(value: boolean) {
      blocked = value;
    },
  };
}

describe.skipIf(!chromium.available && !required)("offline sending in the browser", () => {
  let stack: Stack | undefined;
  let alice: BrowserUser | undefined;
  let bob: BrowserUser | undefined;

  beforeAll(async () => {
    if (!chromium.available) throw new Error(`${chromium.message} Browser tests must run when CI=true.`);
    stack = await startStack();
    [alice, bob] = await Promise.all([launchUser("alice"), launchUser("bob")]);
  });

  afterAll(async () => {
    await Promise.all([alice?.close(), bob?.close()]);
    await stack?.stop();
  });

  it("when messages are sent offline and the page reloads before the network returns, then they arrive once, in order", async ({
    onTestFailed,
  }) => {
    if (!stack || !alice || !bob) throw new Error("the stack did not start");
    const { baseUrl } = stack;
    onTestFailed(() => console.error([...(alice?.errors ?? []), ...(bob?.errors ?? []), stack?.logs() ?? ""].join("\n")));
    const run = Date.now().toString(36);
    const aliceEmail = `alice-${run}@example.test`;
    const bobEmail = `bob-${run}@example.test`;
    const a = alice.page;
    const b = bob.page;

    await loginViaMailbox(b, baseUrl, bobEmail);
    await loginViaMailbox(a, baseUrl, aliceEmail);
    await Promise.all([waitUntilLive(a), waitUntilLive(b)]);
    const network = await installApiSwitch(alice.context);

    // Online first: Alice opens the conversation and says hello; Bob opens it too.
    await a.getByTestId("user-search").fill(bobEmail);
    await a.getByTestId("user-result").filter({ hasText: bobEmail }).click();
    await send(a, "hello");
    await bubbles(a).filter({ hasText: "hello" }).and(a.locator('[data-status="sent"]')).waitFor();
    await b.locator(`[data-testid="conversation-item"][data-peer-email="${aliceEmail}"]`).click();
    await bubbles(b).filter({ hasText: "hello" }).waitFor();

    // A second tab of Alice's, on the same conversation: it must not send anything twice.
    const a2 = await alice.context.newPage();
    await a2.goto(`${baseUrl}/chat`);
    await a2.locator(`[data-testid="conversation-item"][data-peer-email="${bobEmail}"]`).click();
    await bubbles(a2).filter({ hasText: "hello" }).waitFor();

    // Offline: two messages wait as pending, in the durable outbox.
    await alice.context.setOffline(true);
    await send(a, "offline one");
    await send(a, "offline two");
    const pending = bubbles(a).and(a.locator('[data-status="pending"]'));
    await expect.poll(() => pending.getByTestId("message-content").allInnerTexts()).toEqual(["offline one", "offline two"]);
    const stored = await readOutbox(a);
    expect(stored.map((entry) => [entry.content, entry.status])).toEqual([
      ["offline one", "pending"],
      ["offline two", "pending"],
    ]);
    // The other tab sees them pending as well (storage events).
    await expect.poll(() => bubbles(a2).and(a2.locator('[data-status="pending"]')).count()).toBe(2);

    // Still cut off from the API and the socket server, but pages load: reload.
    network.blocked = true;
    await alice.context.setOffline(false);
    await a.reload();
    await a.getByTestId("conversation-header").filter({ hasText: bobEmail }).waitFor();
    await expect.poll(() => pending.count()).toBe(2);
    expect((await readOutbox(a)).map((entry) => entry.clientId)).toEqual(stored.map((entry) => entry.clientId));
    // It tried, failed, and waits to retry; the socket cannot connect without a token either.
    await a.getByText("Not sent yet, retrying…").first().waitFor();
    expect(await a.getByTestId("connection-status").getAttribute("data-state")).not.toBe("connected");
    expect(await texts(b)).toEqual(["hello"]);

    // The network returns: sent by themselves, each once, in order, everywhere.
    network.blocked = false;
    const expected = ["hello", "offline one", "offline two"];
    for (const page of [a, a2, b]) {
      await expect.poll(() => texts(page), { timeout: 30_000 }).toEqual(expected);
    }
    for (const page of [a, a2]) {
      await expect.poll(() => bubbles(page).and(page.locator('[data-status="sent"]')).count()).toBe(3);
    }
    await expect.poll(() => readOutbox(a)).toEqual([]);
    await waitUntilLive(a);

    // The database holds each once, with the clientIds chosen offline.
    const history = await a.evaluate(async (peerEmail) => {
      const users = await (await fetch(`/api/users?q=${encodeURIComponent(peerEmail)}`)).json();
      const page = await (await fetch(`/api/chat/history?with=${users.data[0].id}`)).json();
      return page.data.messages.map((message: { content: string; clientId: string }) => [message.content, message.clientId]);
    }, bobEmail);
    expect(history.slice(1)).toEqual(stored.map((entry) => [entry.content, entry.clientId]));
    expect(history.map((entry: string[]) => entry[0])).toEqual(expected);

    // Signing out in one tab ends the other tab's live connection too: it goes to the sign-in page.
    await waitUntilLive(a2);
    await a.getByTestId("profile-button").click();
    await a.getByTestId("sign-out").click();
    await a.waitForURL(`${baseUrl}/login`);
    await a2.waitForURL(`${baseUrl}/login`, { timeout: 15_000 });
    await a2.close();
  });
});

/** The client core in Node (no browser): the same outbox, catch-up and socket code as the page. */
describe("offline sending with the client core", () => {
  let stack: Stack | undefined;
  let proxy: FaultProxy | undefined;
  const clients: NodeChatUser[] = [];

  afterAll(async () => {
    for (const client of clients) client.stop();
    await proxy?.close();
    await stack?.stop();
  });

  it("when messages are written with the API unreachable and the client restarts before it returns, then they arrive once, in order", async ({
    onTestFailed,
  }) => {
    onTestFailed(() => console.error(stack?.logs() ?? ""));
    stack = await startStack();
    const { baseUrl, socketUrl } = stack;
    proxy = await startFaultProxy({ target: baseUrl, applies: (request) => request.url?.startsWith("/api/") ?? false });
    const run = Date.now().toString(36);
    const [annSession, bobSession] = await Promise.all([
      signInViaMailbox(baseUrl, `ann-node-${run}@example.test`),
      signInViaMailbox(baseUrl, `bob-node-${run}@example.test`),
    ]);
    const outboxStorage = createMemoryStorage();
    const start = (session: typeof annSession, apiUrl: string) => {
      const client = startNodeChat({
        http: { baseUrl, apiUrl, cookie: session.cookie },
        user: session.user,
        socketUrl,
        outboxStorage: session === annSession ? outboxStorage : undefined,
        backoff: { baseMs: 200, maxMs: 1_000 },
      });
      clients.push(client);
      return client;
    };
    const ann = start(annSession, proxy.url);
    const bob = start(bobSession, baseUrl);
    const bobProfile = { id: bobSession.user.id, email: bobSession.user.email, displayName: null };
    const annProfile = { id: annSession.user.id, email: annSession.user.email, displayName: null };
    await expect
      .poll(() => [ann, bob].every((client) => client.client.getState().connection === "connected"), { timeout: 20_000 })
      .toBe(true);

    await ann.write(bobProfile, "hello");
    await expect.poll(() => ann.client.getState().outbox.length).toBe(0);
    await bob.client.openConversation(annProfile);
    const bobTexts = () => bob.client.getState().view?.messages.map((message) => message.content);
    await expect.poll(bobTexts).toEqual(["hello"]);

    // Cut off from the API: every call fails as if the network were down.
    proxy.setFaults({ fail: 0, dropBefore: 1, dropAfter: 0, delay: 0, maxDelayMs: 0 });
    await ann.write(bobProfile, "offline one");
    await ann.write(bobProfile, "offline two");
    await expect.poll(() => ann.stats.sendFailures.network ?? 0).toBeGreaterThan(0);
    const pending = ann.client.getState().outbox.map((item) => [item.content, item.status, item.clientId]);
    expect(pending.map(([content, status]) => [content, status])).toEqual([
      ["offline one", "pending"],
      ["offline two", "pending"],
    ]);

    // A restart (the page reloaded) while still offline: the same items, the same clientIds.
    ann.stop();
    const again = start(annSession, proxy.url);
    expect(again.client.getState().outbox.map((item) => [item.content, item.status, item.clientId])).toEqual(pending);

    // The API returns: each sent once, in order, seen live by Bob.
    proxy.setFaults(null);
    await expect.poll(() => again.client.getState().outbox.length, { timeout: 30_000 }).toBe(0);
    await expect.poll(bobTexts, { timeout: 15_000 }).toEqual(["hello", "offline one", "offline two"]);
    const stored = await readConversation(bob.http, annSession.user.id);
    expect(stored.map((message) => message.content)).toEqual(["hello", "offline one", "offline two"]);
    expect(stored.slice(1).map((message) => message.clientId)).toEqual(pending.map(([, , clientId]) => clientId));
  });
});
