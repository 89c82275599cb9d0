import { afterAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../lib/chat/group-types";
import { startFaultProxy, type FaultProfile, type FaultProxy } from "./support/fault-proxy";
import { readConversation, signInViaMailbox, startNodeChat, type NodeChatUser } from "./support/node-chat";
import { getFreePort, startStack, type Stack } from "./support/stack";

/**
 * Delivery guarantees under chaos, without a browser: users run the page's own chat client core
 * (`lib/chat`: state, outbox, socket client, catch-up, position check) in Node, writing a few
 * thousand messages in whichever conversation they have open, switching now and then, while
 * the socket server is killed and restarted, client connections are dropped, and a proxy
 * delays, fails and cuts pushes (web app → socket server) and API calls (users → web app).
 * Afterwards every user's open conversation (kept live through all of it), conversation list
 * and every other conversation (opened afresh) must equal the database: nothing lost, nothing
 * twice, every conversation in seq order, every sender's messages in the order written.
 */

const USERS = 8;
const MESSAGES = 2_400;
// Per user: 4.5 messages/s stays under the default send limit (60 per 10 s) with room for retries.
const SEND_INTERVAL_MS = 220;
const RESTART_EVERY_MS = 9_000;
const DROP_EVERY_MS = 600;
// A user writes on in the open conversation, or switches to another one first.
const SWITCH_CHANCE = 0.2;

// Pushes: some late (longer than the web app's 2 s push timeout, so it retries while the first
// copy is still on its way), some refused, some cut before or after reaching the socket server.
const PUSH_FAULTS: FaultProfile = { fail: 0.05, dropBefore: 0.03, dropAfter: 0.03, delay: 0.15, maxDelayMs: 3_000 };
// API calls of the simulated users: sends and catch-ups fail, get cut, or lose their answer.
const API_FAULTS: FaultProfile = { fail: 0.03, dropBefore: 0.02, dropAfter: 0.03, delay: 0.1, maxDelayMs: 800 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 200) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function pairKey(a: string, b: string) {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

describe("delivery under chaos", () => {
  let stack: Stack | undefined;
  let pushProxy: FaultProxy | undefined;
  let apiProxy: FaultProxy | undefined;
  const users: NodeChatUser[] = [];

  afterAll(async () => {
    for (const user of users) user.stop();
    await Promise.all([pushProxy?.close(), apiProxy?.close()]);
    await stack?.stop();
  });

  it(
    "when the socket server restarts, connections drop and pushes fail, then no message is lost, doubled or reordered",
    { timeout: 180_000 },
    async ({ onTestFailed }) => {
      onTestFailed(() => console.error(stack?.logs() ?? ""));
      const socketPort = await getFreePort();
      pushProxy = await startFaultProxy({
        target: `http://127.0.0.1:${socketPort}`,
        applies: (request) => request.url?.startsWith("/webhooks/") ?? false,
      });
      stack = await startStack({ socketPort, pushUrl: pushProxy.url });
      const { baseUrl, socketUrl } = stack;
      apiProxy = await startFaultProxy({ target: baseUrl, applies: (request) => request.url?.startsWith("/api/") ?? false });

      // Sign in (no faults yet), then connect everyone straight to the socket server.
      const run = Date.now().toString(36);
      const sessions = await Promise.all(
        Array.from({ length: USERS }, (_, index) => signInViaMailbox(baseUrl, `sim${index}-${run}@example.test`)),
      );
      for (const { cookie, user } of sessions) {
        users.push(
          startNodeChat({ http: { baseUrl, apiUrl: apiProxy.url, cookie }, user, socketUrl, backoff: { baseMs: 250, maxMs: 4_000 } }),
        );
      }
      const connected = (user: NodeChatUser) => user.client.connection()?.socket.connected === true;
      await waitFor("every user to connect", () => users.every(connected), 20_000);

      pushProxy.setFaults(PUSH_FAULTS);
      apiProxy.setFaults(API_FAULTS);
      const startedAt = Date.now();
      let restarts = 0;
      let drops = 0;
      let sending = true;

      // Senders: each user writes in the open conversation, sometimes switching to another first.
      const perUser = Math.ceil(MESSAGES / USERS);
      const senders = users.map(async (user, index) => {
        for (let n = 0; n < perUser; n += 1) {
          let peer = users.find((other) => other.user.id === user.client.getState().view?.peer?.id);
          if (!peer || Math.random() < SWITCH_CHANCE) {
            peer = users[Math.floor(Math.random() * (USERS - 1))]!;
            if (peer === user) peer = users[USERS - 1]!;
          }
          await user.write(peer.profile, `m ${index}.${n} ${"x".repeat(Math.floor(Math.random() * 40))}`);
          await sleep(SEND_INTERVAL_MS * (0.5 + Math.random()));
        }
      });

      // The socket server: killed (crash) or stopped (graceful: server:shutdown), then started again.
      const restarter = (async () => {
        while (sending) {
          await sleep(RESTART_EVERY_MS * (0.6 + Math.random() * 0.8));
          if (!sending) break;
          if (restarts % 2 === 0) await stack!.socket.kill();
          else await stack!.socket.stop();
          await sleep(300 + Math.random() * 1_500);
          await stack!.socket.start();
          restarts += 1;
        }
      })();

      // Clients: a disconnect by hand, or the transport cut under Socket.IO.
      const dropper = (async () => {
        while (sending) {
          await sleep(DROP_EVERY_MS * (0.5 + Math.random()));
          const user = users[Math.floor(Math.random() * USERS)]!;
          const connection = user.client.connection();
          if (!connection?.socket.connected) continue;
          drops += 1;
          if (Math.random() < 0.5) {
            connection.socket.disconnect();
            setTimeout(() => connection.reconnectNow(), Math.random() * 1_500);
          } else {
            connection.socket.io.engine?.close();
          }
        }
      })();

      try {
        await Promise.all(senders);
      } finally {
        // Bounded: the chaos loops end with the senders, whatever happened.
        sending = false;
        await Promise.all([restarter, dropper]);
      }
      const chaosSeconds = Math.round((Date.now() - startedAt) / 1000);

      // Calm: faults off, socket server up, every outbox empty, everyone connected and caught up.
      pushProxy.setFaults(null);
      apiProxy.setFaults(null);
      if (!stack.socket.running) await stack.socket.start();
      for (const user of users) void user.client.outbox()?.flush({ resetBackoff: true });
      await waitFor("every outbox to drain", () => users.every((user) => user.client.getState().outbox.length === 0), 45_000);
      await waitFor("every user to reconnect", () => users.every(connected), 20_000);
      await waitFor(
        "a complete final catch-up",
        async () => (await Promise.all(users.map((user) => user.client.resync()))).every(Boolean),
        30_000,
        500,
      );

      // What each user had open through the chaos, kept by live pushes, gap and reconnect
      // catch-ups only: scrolled back to its start (older pages), before anything is reopened.
      const liveViews = new Map<NodeChatUser, { peerId: string; messages: ChatMessage[] }>();
      for (const user of users) {
        const peerId = user.client.getState().view?.peer?.id;
        const peer = users.find((other) => other.user.id === peerId);
        if (peer) liveViews.set(user, { peerId: peer.user.id, messages: await user.readAll(peer.profile) });
      }
      const lists = new Map(users.map((user) => [user, user.client.getState().conversations]));

      // The truth: every conversation as the database holds it (through the API, past the proxy).
      const truth = new Map<string, ChatMessage[]>();
      for (const user of users) {
        for (const other of users) {
          const key = pairKey(user.user.id, other.user.id);
          if (other === user || truth.has(key)) continue;
          truth.set(key, await readConversation(user.http, other.user.id));
        }
      }
      const stored = [...truth.values()].flat();

      // Lost: written but not stored once, or stored but missing from a participant's view.
      // Duplicated: stored twice (same clientId or content), or held twice in a view.
      // Reordered: a view out of seq order or different from the database's order, or a
      // sender's messages stored in another order than written.
      let lost = 0;
      let duplicated = 0;
      let reordered = 0;
      const problems: string[] = [];
      const storedByClientId = new Map<string, ChatMessage[]>();
      for (const message of stored) storedByClientId.set(message.clientId, [...(storedByClientId.get(message.clientId) ?? []), message]);
      const contents = new Map<string, number>();
      for (const message of stored) contents.set(message.content, (contents.get(message.content) ?? 0) + 1);
      for (const [content, count] of contents) {
        if (count > 1) {
          duplicated += count - 1;
          problems.push(`stored ${count}×: ${content}`);
        }
      }

      const written = users.flatMap((user) => user.queued.map((item) => ({ ...item, senderId: user.user.id })));
      for (const item of written) {
        const copies = storedByClientId.get(item.clientId) ?? [];
        if (copies.length === 0) {
          lost += 1;
          problems.push(`never stored: ${item.content}`);
        } else if (copies.length > 1) {
          duplicated += copies.length - 1;
        }
      }

      const compareView = (user: NodeChatUser, other: NodeChatUser, view: ChatMessage[], what: string) => {
        const expected = truth.get(pairKey(user.user.id, other.user.id)) ?? [];
        const ids = view.map((message) => message.id);
        const held = new Set(ids);
        duplicated += ids.length - held.size;
        const missing = expected.filter((message) => !held.has(message.id));
        lost += missing.length;
        if (missing.length > 0)
          problems.push(`${user.user.email}'s ${what} misses ${missing.length} of the conversation with ${other.user.email}`);
        for (let index = 1; index < view.length; index += 1) {
          if (view[index]!.seq <= view[index - 1]!.seq) reordered += 1;
        }
        if (missing.length === 0 && ids.join() !== expected.map((message) => message.id).join()) {
          reordered += 1;
          problems.push(`${user.user.email}'s ${what} of ${other.user.email} differs from the database's order`);
        }
      };

      let liveChecked = 0;
      for (const user of users) {
        const live = liveViews.get(user);
        const other = users.find((candidate) => candidate.user.id === live?.peerId);
        if (live && other) {
          compareView(user, other, live.messages, "live view");
          liveChecked += 1;
        }
        // The list: every conversation with its newest message, as the database has it.
        for (const other of users) {
          if (other === user) continue;
          const newest = truth.get(pairKey(user.user.id, other.user.id))?.at(-1);
          const listed = lists.get(user)?.find((conversation) => conversation.peer?.id === other.user.id);
          if (newest && listed?.lastMessage.id !== newest.id) {
            lost += 1;
            problems.push(`${user.user.email}'s list shows an old last message for ${other.user.email}`);
          }
        }
      }

      for (const user of users) {
        for (const other of users) {
          if (other === user) continue;
          const expected = truth.get(pairKey(user.user.id, other.user.id)) ?? [];
          compareView(user, other, await user.readAll(other.profile), "view");
          // The sender's own order: stored seq must follow the order written.
          const writtenOrder = user.queued.filter((item) => item.recipientId === other.user.id).map((item) => item.clientId);
          const storedOrder = expected.filter((message) => message.senderId === user.user.id).map((message) => message.clientId);
          if (writtenOrder.join() !== storedOrder.join() && writtenOrder.length === storedOrder.length) {
            reordered += 1;
            problems.push(`${user.user.email}'s messages to ${other.user.email} were stored out of the order written`);
          }
        }
      }

      const sum = (pick: (user: NodeChatUser) => number) => users.reduce((total, user) => total + pick(user), 0);
      const failures: Record<string, number> = {};
      for (const user of users) {
        for (const [kind, count] of Object.entries(user.stats.sendFailures)) failures[kind] = (failures[kind] ?? 0) + count;
      }
      const push = pushProxy.stats;
      const api = apiProxy.stats;
      const figures = [
        `chaos: ${USERS} users, ${chaosSeconds} s of sending; messages written ${written.length}, stored ${stored.length}`,
        `chaos: socket server restarts ${restarts} (kill and graceful alternating), client drops ${drops}, socket connects ${sum((u) => u.stats.connects)}, server:shutdown notices ${sum((u) => u.stats.shutdownNotices)}`,
        `chaos: pushes ${push.eligible} through the proxy: delayed ${push.delayed}, failed 503 ${push.failed}, cut before ${push.droppedBefore}, answer cut ${push.droppedAfter}, socket server down ${push.targetDown}`,
        `chaos: API calls ${api.eligible} through the proxy: delayed ${api.delayed}, failed 503 ${api.failed}, cut before ${api.droppedBefore}, answer cut ${api.droppedAfter}`,
        `chaos: send attempts ${sum((u) => u.stats.sendAttempts)} for ${written.length} messages; failures ${JSON.stringify(failures)}`,
        `chaos: live deliveries ${sum((u) => u.stats.liveDeliveries)}, repeats dropped by id in the open view ${sum((u) => u.stats.repeatsDropped)}, late live arrivals placed by seq ${sum((u) => u.stats.lateArrivals)}, catch-up pages ${sum((u) => u.stats.catchUpPages)} (${sum((u) => u.stats.catchUpFailures)} failed and retried)`,
        `chaos: live views checked ${liveChecked} of ${users.length}`,
        `chaos: lost ${lost}, duplicated ${duplicated}, reorderings ${reordered}`,
      ];
      if (problems.length > 0) console.error(problems.slice(0, 20).join("\n"));
      console.log(figures.join("\n"));

      expect(users.map((user) => user.stats.sessionEnded)).toEqual(users.map(() => null));
      expect(liveChecked).toBe(users.length);
      expect(stored.length).toBe(written.length);
      expect({ lost, duplicated, reordered }).toEqual({ lost: 0, duplicated: 0, reordered: 0 });
    },
  );
});
