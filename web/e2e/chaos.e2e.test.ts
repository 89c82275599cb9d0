import { afterAll, describe, expect, it } from "vitest";
import { conversationById } from "../lib/chat/chat-state";
import type { ChatMessage } from "../lib/types";
import { ApiError } from "../lib/client/api";
import { startFaultProxy, type FaultProfile, type FaultProxy } from "./support/fault-proxy";
import { callApi, readConversation, signInViaMailbox, startNodeChat, type NodeChatUser } from "./support/node-chat";
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
 * Meanwhile users edit and delete their own messages and add and take back reactions in the open
 * conversation (issue 16): every live view ends equal to the server's, edited text, tombstones
 * and reaction counts included, through the change stream's live pushes and catch-ups.
 * Alongside, a group of four changes members mid-run (one removed, one added, one leaves): each
 * member's view equals the server's, and a former member gets nothing committed after it left.
 */

const USERS = 8;
const MESSAGES = 2_400;
// Per user: 4.5 messages/s stays under the default send limit (60 per 10 s) with room for retries.
const SEND_INTERVAL_MS = 220;
const RESTART_EVERY_MS = 9_000;
const DROP_EVERY_MS = 600;
// A user writes on in the open conversation, or switches to another one first.
const SWITCH_CHANCE = 0.2;
// Alongside writing, each user edits or deletes one of theirs, or reacts to one, in the open conversation about this often.
const ACT_EVERY_MS = 1_000;
const REACTIONS = ["👍", "❤️", "😂"];

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

// A group of four alongside the 1:1 traffic: the owner removes one member, adds a fifth person,
// and another member leaves, while everyone in it keeps writing.
const GROUP_SEND_INTERVAL_MS = 600;
// Messages the owner writes before each change (removal, addition, the leave, the end).
const GROUP_STEP = 8;

/** Retries a membership change through the faults; `done` recognises the answer of one that already took effect. */
async function retried(what: string, change: () => Promise<unknown>, done: (error: unknown) => boolean = () => false) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await change();
      return;
    } catch (error) {
      if (done(error)) return;
      const transient = error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
      if (!transient || attempt >= 20) throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
      await sleep(250 * attempt);
    }
  }
}

interface LifecycleTally {
  edits: number;
  deletes: number;
  reactions: number;
  unreactions: number;
}

/**
 * One lifecycle action on a message of `user`'s open conversation: edit (a text unique to it) or
 * delete one of mine, or add or take back a reaction on anyone's. Retried through the faults
 * (each is idempotent); a message deleted meanwhile refuses with 409, which ends it.
 */
async function actOnce(user: NodeChatUser, tally: LifecycleTally) {
  const view = user.client.getState().view;
  const live = (view?.messages ?? []).filter((message) => message.kind === "text" && !message.deletedAt).slice(-20);
  if (live.length === 0) return;
  const target = live[Math.floor(Math.random() * live.length)]!;
  const gone = (error: unknown) => ["409 message_deleted", "404 message_not_found"].includes(apiCode(error) ?? "");
  const roll = Math.random();
  if (target.senderId === user.user.id && roll < 0.35) {
    tally.edits += 1;
    const content = `${target.content.replace(/ ✎\d+$/, "")} ✎${tally.edits}`;
    await retried("edit", () => user.client.editMessage(target.id, content), gone);
  } else if (target.senderId === user.user.id && roll < 0.5) {
    tally.deletes += 1;
    await retried("delete", () => user.client.deleteMessage(target.id), gone);
  } else {
    const emoji = REACTIONS[Math.floor(Math.random() * REACTIONS.length)]!;
    const mine = target.reactions?.some((reaction) => reaction.emoji === emoji && reaction.userIds.includes(user.user.id));
    if (mine) tally.unreactions += 1;
    else tally.reactions += 1;
    await retried("reaction", () => (mine ? user.client.unreact(target.id, emoji) : user.client.react(target.id, emoji)), gone);
  }
}

/** What a user sees of a message besides its place: text, edited, deleted, reactions with counts and who. */
function lifecycleOf(message: ChatMessage): string {
  const reactions = (message.reactions ?? []).map(
    (reaction) => `${reaction.emoji}${reaction.count}:${[...reaction.userIds].sort().join("+")}`,
  );
  return JSON.stringify([message.content, !!message.editedAt, !!message.deletedAt, reactions.sort()]);
}

const apiCode = (error: unknown) => (error instanceof ApiError ? `${error.status} ${error.code}` : null);

interface GroupRun {
  conversationId: string;
  /** Runs with the chaos: the members write, the owner changes the membership; resolves when the group part is done. */
  script: Promise<void>;
  /** After the calm: a final message in the group, a direct one to each former member, then every check; problems counted. */
  check(): Promise<{ figures: string[]; problems: string[]; tally: Record<"lost" | "duplicated" | "reordered" | "leaked", number> }>;
}

/**
 * `members`: owner A, then B, C, D (the group of four) and E (added later). D is removed by A,
 * E added, C leaves. A member's view must equal the server's; a former member's server view is
 * 404, its client has dropped the group, and nothing committed after it left ever reached it.
 */
async function startGroupChaos(members: NodeChatUser[], connected: (user: NodeChatUser) => boolean): Promise<GroupRun> {
  const [a, b, c, d, e] = members as [NodeChatUser, NodeChatUser, NodeChatUser, NodeChatUser, NodeChatUser];
  const name = (user: NodeChatUser) => user.user.email.split("-")[0]!;
  const detail = await a.createGroup("Chaos crew", [b.profile, c.profile, d.profile]);
  const conversationId = detail.id;
  const to = { conversationId };
  for (const member of [b, c, d]) await member.readAll(to);
  const isOpen = (user: NodeChatUser) => {
    const view = user.client.getState().view;
    return view?.conversationId === conversationId && !view.removed && view.loading !== "initial";
  };
  await waitFor("the group's first members to open it", () => [a, b, c, d].every(isOpen), 20_000);

  const problems: string[] = [];
  const tally = { lost: 0, duplicated: 0, reordered: 0, leaked: 0 };
  let done = false;
  let eAdded = false;
  let cLeft = false;
  let ownerWrote = 0;

  /** Bounded waits that count rather than throw: what a member never got is lost, not a timeout. */
  const settle = async (condition: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (condition()) return true;
      await sleep(200);
    }
    return condition();
  };
  /** Waits until `member`'s open group holds everything the server holds now; counts what it lacks. */
  const catchesUp = async (member: NodeChatUser, moment: string) => {
    const committed = await readConversation(a.http, to);
    const holds = () => {
      const held = new Set(member.client.getState().view?.messages.map((message) => message.id));
      return committed.filter((message) => !held.has(message.id));
    };
    if (await settle(() => holds().length === 0, 30_000)) return;
    tally.lost += holds().length;
    problems.push(`group: ${name(member)} missed ${holds().length} messages committed before ${moment}`);
  };
  /** Opens the group when it is not (E once added; anyone after a failed first page). */
  const ensureOpen = async (member: NodeChatUser) => {
    if (isOpen(member)) return;
    if (!conversationById(member.client.getState(), conversationId)) await member.client.resync();
    await member.client.openConversationById(conversationId);
  };
  const write = async (member: NodeChatUser, n: number) => {
    await ensureOpen(member);
    if (isOpen(member)) await member.write(to, `g ${name(member)}.${n} ${"y".repeat(Math.floor(Math.random() * 30))}`);
    await sleep(GROUP_SEND_INTERVAL_MS * (0.5 + Math.random()));
  };

  // B writes throughout; D until its client shows the removal; C until it leaves; E once added.
  const writers = [
    (async () => {
      for (let n = 0; !done; n += 1) await write(b, n);
    })(),
    (async () => {
      for (let n = 0; !done && !d.client.getState().view?.removed; n += 1) await write(d, n);
    })(),
    (async () => {
      for (let n = 0; !done && !(eAdded && ownerWrote >= 3 * GROUP_STEP); n += 1) await write(c, n);
      // Leaving once its own messages are out and it holds everything so far, as a person would.
      await waitFor("C's outbox to drain before it leaves", () => c.client.getState().outbox.length === 0, 45_000);
      await catchesUp(c, "C left");
      await retried(
        "C leaves",
        () => c.leaveGroup(conversationId),
        (error) => apiCode(error) === "404 conversation_not_found",
      );
      cLeft = true;
    })(),
    (async () => {
      await settle(() => eAdded || done, 120_000);
      for (let n = 0; !done; n += 1) await write(e, n);
    })(),
  ];

  // The owner writes and changes the membership at set points.
  const owner = (async () => {
    const writeStep = async () => {
      for (let n = 0; n < GROUP_STEP; n += 1) await write(a, (ownerWrote += 1));
    };
    await writeStep();
    await catchesUp(d, "D was removed");
    await retried(
      "A removes D",
      () => a.removeMember(conversationId, d.profile),
      (error) => apiCode(error) === "404 member_not_found",
    );
    await writeStep();
    await retried("A adds E", () => a.addMembers(conversationId, [e.profile]));
    eAdded = true;
    await writeStep();
    await settle(() => cLeft, 90_000);
    await writeStep();
    done = true;
  })();

  const script = (async () => {
    try {
      await owner;
    } finally {
      done = true;
      await Promise.allSettled(writers);
    }
    await Promise.all(writers);
  })();

  async function check() {
    const remaining = [a, b, e];
    const former = [
      { member: c, event: "member_left" },
      { member: d, event: "member_removed" },
    ] as const;

    // Calm: the remaining members' outboxes empty, connected, caught up; a sentinel closes the group's timeline.
    for (const member of remaining) void member.client.outbox()?.flush({ resetBackoff: true });
    await waitFor("the group's outboxes to drain", () => remaining.every((m) => m.client.getState().outbox.length === 0), 45_000);
    await waitFor("the group's members to connect", () => [...remaining, c, d].every(connected), 20_000);
    await waitFor(
      "the group's final catch-up",
      async () => (await Promise.all(remaining.map((m) => m.client.resync()))).every(Boolean),
      30_000,
      500,
    );
    for (const member of remaining) await ensureOpen(member);
    const sentinel = `g sentinel ${Date.now()}`;
    await a.write(to, sentinel);
    const holdsSentinel = (member: NodeChatUser) => member.client.getState().view?.messages.some((m) => m.content === sentinel) === true;
    await waitFor("the group's sentinel to reach every member", () => remaining.every(holdsSentinel), 20_000);
    // And a direct sentinel to each former member, written after everything in the group: once it
    // arrived live, any group message that was going to reach them would have.
    const directSentinels = former.map(({ member }) => ({ member, content: `sentinel for ${name(member)} ${Date.now()}` }));
    for (const { member, content } of directSentinels) {
      await callApi(a.http, "/api/chat/send", {
        method: "POST",
        json: { recipientId: member.user.id, content, clientId: crypto.randomUUID() },
        direct: true,
      });
    }
    await waitFor(
      "the direct sentinels to reach the former members",
      () => directSentinels.every(({ member, content }) => member.arrivals.some((x) => x.via === "live" && x.message.content === content)),
      20_000,
    );
    // Their clients learn of it by the push, or by the 404 of a catch-up when that push was lost.
    await waitFor(
      "the former members' clients to drop the group",
      async () => {
        const dropped = former.every(({ member }) => {
          const state = member.client.getState();
          const view = state.view;
          return !conversationById(state, conversationId) && (view?.conversationId !== conversationId || view.removed);
        });
        if (!dropped) await Promise.all(former.map(({ member }) => member.client.resync()));
        return dropped;
      },
      20_000,
      500,
    );

    const truth = await readConversation(a.http, to);
    const seqOf = (event: string, userId: string) =>
      truth.find((m) => m.system?.event === event && m.system.userIds.includes(userId))?.seq ?? Number.NaN;
    const created = truth.find((m) => m.system?.event === "group_created")?.seq ?? Number.NaN;
    const removedAt = seqOf("member_removed", d.user.id);
    const addedAt = seqOf("member_added", e.user.id);
    const leftAt = seqOf("member_left", c.user.id);
    const intervals = new Map<NodeChatUser, [number, number]>([
      [a, [created, Infinity]],
      [b, [created, Infinity]],
      [c, [created, leftAt]],
      [d, [created, removedAt]],
      [e, [addedAt, Infinity]],
    ]);
    expect({ first: truth[0]?.system?.event, ordered: created < removedAt && removedAt < addedAt && addedAt < leftAt }).toEqual({
      first: "group_created",
      ordered: true,
    });

    // The server's timeline: seq gapless in commit order, each message written by a member at its seq.
    truth.forEach((message, index) => {
      if (message.seq !== index + 1) {
        tally.reordered += 1;
        problems.push(`group: seq ${message.seq} at position ${index + 1}`);
      }
      const sender = members.find((m) => m.user.id === message.senderId);
      const [from, until] = sender ? intervals.get(sender)! : [0, -1];
      if (message.kind === "text" && !(message.seq > from && message.seq < until)) {
        tally.leaked += 1;
        problems.push(`group: ${message.content} stored at seq ${message.seq}, outside its sender's membership`);
      }
    });

    // Written once, stored once, in the order written (a message D wrote as it was removed may be refused instead).
    const byClientId = new Map<string, ChatMessage[]>();
    for (const message of truth) byClientId.set(message.clientId, [...(byClientId.get(message.clientId) ?? []), message]);
    const contents = new Set(truth.map((m) => m.content));
    tally.duplicated += truth.filter((m) => m.kind === "text").length - [...contents].filter((c) => c !== "").length;
    let written = 0;
    let refused = 0;
    for (const member of members) {
      const mine = member.queued.filter((item) => item.conversationId === conversationId);
      written += mine.length;
      const stored: string[] = [];
      for (const item of mine) {
        const copies = byClientId.get(item.clientId) ?? [];
        if (copies.length > 1) tally.duplicated += copies.length - 1;
        if (copies.length > 0) stored.push(item.clientId);
        else if (member === d && d.client.getState().outbox.some((held) => held.clientId === item.clientId && held.status === "failed"))
          refused += 1;
        else {
          tally.lost += 1;
          problems.push(`group: never stored: ${item.content}`);
        }
      }
      const storedOrder = truth.filter((m) => m.senderId === member.user.id && m.kind === "text").map((m) => m.clientId);
      if (storedOrder.join() !== stored.join()) {
        tally.reordered += 1;
        problems.push(`group: ${name(member)}'s messages stored out of the order written`);
      }
    }

    // Remaining members: the live view (scrolled back to the start) and the server's view equal the truth
    // (E sees the whole history once added: the README's policy); live pushes only while a member.
    const ids = (messages: ChatMessage[]) => messages.map((m) => m.id).join();
    for (const member of remaining) {
      const view = await member.readAll(to);
      const held = new Set(view.map((m) => m.id));
      tally.duplicated += view.length - held.size;
      const missing = truth.filter((m) => !held.has(m.id)).length;
      tally.lost += missing;
      if (missing > 0) problems.push(`group: ${name(member)}'s live view misses ${missing}`);
      else if (ids(view) !== ids(truth)) {
        tally.reordered += 1;
        problems.push(`group: ${name(member)}'s live view differs from the server's order`);
      }
      if (ids(await readConversation(member.http, to)) !== ids(truth)) {
        tally.lost += 1;
        problems.push(`group: ${name(member)}'s server view differs from the owner's`);
      }
    }
    const [eFrom] = intervals.get(e)!;
    const early = e.arrivals.filter((x) => x.via === "live" && x.message.conversationId === conversationId && x.message.seq < eFrom);
    tally.leaked += early.length;
    if (early.length > 0) problems.push(`group: E got ${early.length} live messages from before it was added`);

    // Former members: 404 on the server, the group gone from their client, and nothing after their end reached them.
    for (const { member, event } of former) {
      const [, until] = intervals.get(member)!;
      const answer = await readConversation(member.http, to).then(() => "200", apiCode);
      expect(answer, `${name(member)} (${event}) reads the group`).toBe("404 conversation_not_found");
      const state = member.client.getState();
      expect(conversationById(state, conversationId), `${name(member)}'s list holds the group`).toBeUndefined();
      const late = member.arrivals.filter((x) => x.message.conversationId === conversationId && x.message.seq > until);
      tally.leaked += late.length;
      if (late.length > 0) problems.push(`group: ${name(member)} got ${late.length} messages after ${event} at seq ${until}`);
    }
    // D kept the group open: it shows the removal, and holds what it got in order, none twice, all the server's.
    const dView = d.client.getState().view;
    expect({ conversationId: dView?.conversationId, removed: dView?.removed }).toEqual({ conversationId, removed: true });
    const dHeld = dView?.messages ?? [];
    const truthIds = new Set(truth.map((m) => m.id));
    tally.duplicated += dHeld.length - new Set(dHeld.map((m) => m.id)).size;
    for (let index = 1; index < dHeld.length; index += 1) if (dHeld[index]!.seq <= dHeld[index - 1]!.seq) tally.reordered += 1;
    tally.leaked += dHeld.filter((m) => !truthIds.has(m.id) || m.seq > removedAt).length;
    // C left on purpose: back to the list.
    expect(c.client.getState().view?.conversationId === conversationId && !c.client.getState().view?.removed).toBe(false);

    const live = (member: NodeChatUser) =>
      member.arrivals.filter((x) => x.via === "live" && x.message.conversationId === conversationId).length;
    const figures = [
      `group: seq 1..${truth.length}; D removed at ${removedAt}, E added at ${addedAt}, C left at ${leftAt}; written ${written}, stored ${truth.filter((m) => m.kind === "text").length}, refused (D, as it was removed) ${refused}`,
      `group: live deliveries ${members.map((m) => `${name(m)} ${live(m)}`).join(", ")}; D held ${dHeld.length} at its removal`,
    ];
    return { figures, problems, tally };
  }

  return { conversationId, script, check };
}

describe("delivery under chaos", () => {
  let stack: Stack | undefined;
  let pushProxy: FaultProxy | undefined;
  let apiProxy: FaultProxy | undefined;
  const users: NodeChatUser[] = [];
  // The group's people (A owner, B, C, D, then E): apart from the 1:1 users, whose checks stay as they are.
  const groupUsers: NodeChatUser[] = [];

  afterAll(async () => {
    for (const user of [...users, ...groupUsers]) user.stop();
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
      const groupSessions = await Promise.all(
        ["a", "b", "c", "d", "e"].map((letter) => signInViaMailbox(baseUrl, `group${letter}-${run}@example.test`)),
      );
      const start = ({ cookie, user }: (typeof sessions)[number]) =>
        startNodeChat({ http: { baseUrl, apiUrl: apiProxy!.url, cookie }, user, socketUrl, backoff: { baseMs: 250, maxMs: 4_000 } });
      for (const session of sessions) users.push(start(session));
      for (const session of groupSessions) groupUsers.push(start(session));
      const everyone = [...users, ...groupUsers];
      const connected = (user: NodeChatUser) => user.client.connection()?.socket.connected === true;
      await waitFor("every user to connect", () => everyone.every(connected), 20_000);
      const group = await startGroupChaos(groupUsers, connected);

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

      // Alongside: each user edits, deletes and reacts in whichever conversation is open at the moment.
      const lifecycle: LifecycleTally = { edits: 0, deletes: 0, reactions: 0, unreactions: 0 };
      const actors = users.map(async (user) => {
        while (sending) {
          await sleep(ACT_EVERY_MS * (0.5 + Math.random()));
          if (sending) await actOnce(user, lifecycle);
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

      // Clients: a disconnect by hand, or the transport cut under Socket.IO (as often per user for the group's).
      const dropper = (async () => {
        while (sending) {
          await sleep(((DROP_EVERY_MS * USERS) / everyone.length) * (0.5 + Math.random()));
          const user = everyone[Math.floor(Math.random() * everyone.length)]!;
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
        await Promise.all([...senders, group.script]);
      } finally {
        // Bounded: the chaos loops end with the senders, whatever happened.
        sending = false;
        await Promise.all([restarter, dropper, ...actors]);
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
      // A tombstone has no text; an edit's text is unique to its message.
      for (const message of stored.filter((m) => !m.deletedAt)) contents.set(message.content, (contents.get(message.content) ?? 0) + 1);
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

      // Stale: a held message whose text, edit mark, tombstone or reactions differ from the server's.
      let stale = 0;
      const compareView = (user: NodeChatUser, other: NodeChatUser, view: ChatMessage[], what: string) => {
        const expected = truth.get(pairKey(user.user.id, other.user.id)) ?? [];
        const now = new Map(expected.map((message) => [message.id, lifecycleOf(message)]));
        const differing = view.filter((message) => now.has(message.id) && now.get(message.id) !== lifecycleOf(message));
        stale += differing.length;
        for (const message of differing.slice(0, 3))
          problems.push(`${user.user.email}'s ${what} shows ${lifecycleOf(message)}, the server ${now.get(message.id)}`);
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

      const groupResult = await group.check();

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
        `chaos: edits ${lifecycle.edits}, deletions ${lifecycle.deletes}, reactions added ${lifecycle.reactions}, taken back ${lifecycle.unreactions}; stored: edited ${stored.filter((m) => m.editedAt && !m.deletedAt).length}, deleted ${stored.filter((m) => m.deletedAt).length}, reactions ${stored.reduce((n, m) => n + (m.reactions ?? []).reduce((c, r) => c + r.count, 0), 0)}`,
        `chaos: lost ${lost}, duplicated ${duplicated}, reorderings ${reordered}, stale lifecycle ${stale}`,
        ...groupResult.figures,
        `group: ${JSON.stringify(groupResult.tally)}`,
      ];
      if (problems.length > 0) console.error(problems.slice(0, 20).join("\n"));
      if (groupResult.problems.length > 0) console.error(groupResult.problems.slice(0, 20).join("\n"));
      console.log(figures.join("\n"));

      expect(users.map((user) => user.stats.sessionEnded)).toEqual(users.map(() => null));
      expect(liveChecked).toBe(users.length);
      expect(stored.length).toBe(written.length);
      // The first problems go with the failure, so that they show in a truncated CI log too.
      expect({ lost, duplicated, reordered, stale }, problems.slice(0, 5).join("; ")).toEqual({
        lost: 0,
        duplicated: 0,
        reordered: 0,
        stale: 0,
      });
      expect(Math.min(lifecycle.edits, lifecycle.deletes, lifecycle.reactions)).toBeGreaterThan(0);
      expect(groupUsers.map((user) => user.stats.sessionEnded)).toEqual(groupUsers.map(() => null));
      expect(groupResult.tally, groupResult.problems.slice(0, 5).join("; ")).toEqual({ lost: 0, duplicated: 0, reordered: 0, leaked: 0 });
    },
  );
});
