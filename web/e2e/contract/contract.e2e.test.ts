import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { changeSchema, chatMessageSchema, type Change } from "socket-server/contract";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CASES, type CatalogueContext, type Outcome } from "./bad-input-cases";
import { LIMITS, probeStart, startContractStack, TEST_REDIS_URL, type ContractStack, type WebMode } from "./support/contract-stack";
import { REPO_DIR } from "../support/stack";
import { call, freshEmail, sessionCookie, signIn, type Reply, type SignedInUser } from "./support/http-client";
import { connectSocket, signPush, signToken, waitForEvent, type Handshake } from "./support/realtime";

/**
 * The contract, proven black-box: the real socket server and the web app, as `next dev` and as
 * the production build, spoken to only over HTTP and Socket.IO. Every status and code README's
 * API section documents is reached through each mode; then the bad-input catalogue.
 */

const CI = process.env.CI === "true";
if (!TEST_REDIS_URL) {
  if (CI) throw new Error("CI must run the contract suite with Redis: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379).");
  console.warn("[contract] TEST_REDIS_URL is not set: the web app runs without Redis and the /readyz 503 case is skipped.");
}

const MODES: WebMode[] = ["next dev", "next start"];

/**
 * Every status and code README documents for the web app ("400 `invalid_json`" in the API section,
 * and the rate limits' 429), read from README itself so the list cannot drift from it, plus the
 * contract decisions README may not spell out yet.
 */
const DOCUMENTED = (() => {
  const readme = readFileSync(path.join(REPO_DIR, "README.md"), "utf8");
  const api = readme.slice(readme.indexOf("\n## API"), readme.indexOf("\n### Socket server"));
  const limits = readme.slice(readme.indexOf("\n### Rate limits"), readme.indexOf("\n## ", readme.indexOf("\n### Rate limits")));
  const pairs = [...`${api}\n${limits}`.matchAll(/\b([45]\d\d) `([a-z_]+)`/g)].map(([, status, code]) => `${status} ${code}`);
  const decided = ["403 forbidden_origin", "409 client_id_conflict", "413 payload_too_large", "429 rate_limited", "503 not_ready"];
  return [...new Set([...pairs, ...decided])].sort();
})();

// The catalogue's tally over both modes: "mode status" → count, and what went wrong.
const tally = new Map<string, number>();
let catalogueCases = 0;
const catalogueFailures = new Map<string, string[]>();
const noteFailure = (mode: WebMode, label: string, what: string) =>
  catalogueFailures.set(`${mode} | ${label}`, [...(catalogueFailures.get(`${mode} | ${label}`) ?? []), what]);

afterAll(() => {
  if (catalogueCases === 0) return;
  const byStatus = new Map<string, number>();
  for (const [key, count] of tally) {
    const status = key.split(" | ")[1]!;
    byStatus.set(status, (byStatus.get(status) ?? 0) + count);
  }
  const parts = [...byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([status, count]) => `${status} ×${count}`);
  const fivexx = [...byStatus].filter(([status]) => /^5\d\d$/.test(status)).reduce((sum, [, count]) => sum + count, 0);
  console.log(
    `[contract] bad-input catalogue: ${catalogueCases} cases (${CASES.length} per mode × ${MODES.length} modes), 5xx: ${fivexx}, ` +
      `not as specified: ${catalogueFailures.size}; by status: ${parts.join(", ")}`,
  );
  if (catalogueFailures.size > 0) {
    const lines = [...catalogueFailures].map(([label, reasons]) => `${label}: ${reasons.join("; ")}`);
    console.log(`[contract] not as specified:\n  ${lines.join("\n  ")}`);
  }
});

/** The documented error body: exactly `{ error: { code, message, details? } }`, as JSON. */
function expectErrorShape(reply: Reply, status: number, code: string) {
  expect(reply.status, reply.text.slice(0, 300)).toBe(status);
  expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
  expect(Object.keys(reply.body ?? {})).toEqual(["error"]);
  const { error } = reply.body as { error: Record<string, unknown> };
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  expect((error.message as string).length).toBeGreaterThan(0);
  expect(Object.keys(error).every((key) => ["code", "message", "details"].includes(key))).toBe(true);
}

/** A Retry-After in whole seconds, 1 to `max`. */
function expectRetryAfter(reply: Reply, max: number) {
  const value = reply.headers.get("retry-after") ?? "(none)";
  expect(value, "Retry-After").toMatch(/^\d+$/);
  expect(Number(value)).toBeGreaterThanOrEqual(1);
  expect(Number(value)).toBeLessThanOrEqual(max);
}

describe.each(MODES)("the contract through %s", (mode) => {
  let stack: ContractStack;
  let ann: SignedInUser;
  let bob: SignedInUser;
  let annTokenHash: string;
  let annSocket: Extract<Handshake, { connected: true }>;
  let context: CatalogueContext;
  /** Ann's first message to bob: old enough, by the end, for its edit window to have closed. */
  let firstMessage: { id: string; createdAt: string };
  /** "status code" pairs this mode answered, for the coverage check at the end. */
  const reached = new Set<string>();

  const api = async (method: string, path: string, options: Parameters<typeof call>[3] = {}) => {
    const reply = await call(stack.baseUrl, method, path, options);
    if (reply.status >= 400) reached.add(`${reply.status} ${reply.body?.error?.code ?? ""}`.trim());
    return reply;
  };
  const sendAs = (user: SignedInUser, recipientId: string, content: string, clientId: string = randomUUID()) =>
    api("POST", "/api/chat/send", { user, json: { recipientId, content, clientId } });

  beforeAll(async () => {
    stack = await startContractStack(mode);
    const [annSignIn, bobSignIn, carolSignIn] = await Promise.all([
      signIn(stack, freshEmail("ann")),
      signIn(stack, freshEmail("bob")),
      signIn(stack, freshEmail("carol")),
    ]);
    ({ user: ann, tokenHash: annTokenHash } = annSignIn);
    bob = bobSignIn.user;
    const first = { clientId: randomUUID(), content: "hello bob" };
    const sent = await sendAs(ann, bob.id, first.content, first.clientId);
    if (sent.status !== 201) throw new Error(`first send: ${sent.status} ${sent.text}`);
    firstMessage = sent.body.data;
    const foreign = await sendAs(bob, carolSignIn.user.id, "hello carol");
    if (foreign.status !== 201) throw new Error(`foreign send: ${foreign.status} ${foreign.text}`);
    const session = await api("GET", "/api/auth/session", { user: ann });
    const connected = await connectSocket(stack.socketUrl, { token: session.body.data.accessToken });
    if (!connected.connected) throw new Error(`ann's socket: ${connected.error}`);
    annSocket = connected;
    context = { stack, ann, bob, foreignMessageId: foreign.body.data.id, firstSend: first };
  }, 240_000);

  afterAll(async () => {
    annSocket?.socket.close();
    await stack?.stop();
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(() => console.error(`[contract ${mode}] last server output:\n${stack?.logs(40) ?? "(not started)"}`));
  });

  describe("documented statuses and codes", () => {
    it("when a request has no session, then 401 unauthorized in the documented shape", async () => {
      expectErrorShape(await api("GET", "/api/chat/conversations"), 401, "unauthorized");
      expectErrorShape(await api("GET", "/api/auth/session"), 401, "unauthorized");
    });

    it("when ann sends to bob, then 201 stores it, bob's socket gets message:new, and a repeat answers 200 with the original", async () => {
      const bobToken = (await api("GET", "/api/auth/session", { user: bob })).body.data.accessToken as string;
      const bobSocket = await connectSocket(stack.socketUrl, { token: bobToken });
      if (!bobSocket.connected) throw new Error(bobSocket.error);
      try {
        const clientId = randomUUID();
        const created = await sendAs(ann, bob.id, "  live to bob  ", clientId);
        expect(created.status).toBe(201);
        expect(created.body.data).toMatchObject({ senderId: ann.id, recipientId: bob.id, content: "live to bob", clientId });
        const delivered = await waitForEvent<{ id: string }>(bobSocket, "message:new", (message) => message.id === created.body.data.id);
        expect(delivered).toEqual(created.body.data);
        // The API's message is the contract's shape (the one the socket server validates pushes with).
        expect(chatMessageSchema.safeParse(created.body.data).error?.issues ?? []).toEqual([]);

        const repeat = await sendAs(ann, bob.id, "  live to bob  ", clientId);
        expect([repeat.status, repeat.body.data]).toEqual([200, created.body.data]);
      } finally {
        bobSocket.socket.close();
      }
    });

    it("when the same clientId comes with other content, then 409 client_id_conflict and nothing is stored", async () => {
      const clientId = randomUUID();
      expect((await sendAs(ann, bob.id, "original", clientId)).status).toBe(201);
      const before = await api("GET", `/api/chat/history?with=${bob.id}&limit=100`, { user: ann });
      expectErrorShape(await sendAs(ann, bob.id, "changed", clientId), 409, "client_id_conflict");
      const after = await api("GET", `/api/chat/history?with=${bob.id}&limit=100`, { user: ann });
      expect(after.body).toEqual(before.body);
    });

    it("when content is only whitespace or zero-width characters, then 422 validation_failed on content and nothing is stored", async () => {
      const before = await api("GET", `/api/chat/history?with=${bob.id}&limit=100`, { user: ann });
      for (const content of [" \n\t ", "\u200b\u200b", "\u2060\ufeff \u200d"]) {
        const reply = await sendAs(ann, bob.id, content);
        expectErrorShape(reply, 422, "validation_failed");
        expect(reply.body.error.details).toEqual(
          expect.arrayContaining([expect.objectContaining({ path: "content", message: expect.any(String) })]),
        );
      }
      expect((await api("GET", `/api/chat/history?with=${bob.id}&limit=100`, { user: ann })).body).toEqual(before.body);
    });

    it("when the body is malformed, of another type, or over 64 KiB (declared or chunked), then 400, 415 and 413", async () => {
      expectErrorShape(
        await api("POST", "/api/chat/send", { user: ann, body: "{", headers: { "content-type": "application/json" } }),
        400,
        "invalid_json",
      );
      expectErrorShape(
        await api("POST", "/api/chat/send", { user: ann, body: "{}", headers: { "content-type": "text/plain" } }),
        415,
        "unsupported_media_type",
      );
      const big = JSON.stringify({ recipientId: bob.id, clientId: randomUUID(), content: "x".repeat(70_000) });
      expectErrorShape(
        await api("POST", "/api/chat/send", { user: ann, body: big, headers: { "content-type": "application/json" } }),
        413,
        "payload_too_large",
      );
      const bytes = new TextEncoder().encode(JSON.stringify({ recipientId: bob.id, clientId: randomUUID(), content: "y".repeat(200_000) }));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 8192) controller.enqueue(bytes.slice(offset, offset + 8192));
          controller.close();
        },
      });
      const chunked = await api("POST", "/api/chat/send", { user: ann, body: stream, headers: { "content-type": "application/json" } });
      expectErrorShape(chunked, 413, "payload_too_large");
    });

    it("when inputs are wrong, then 400 invalid_email, cannot_message_self, invalid_cursor and 404 user_not_found, conversation_not_found", async () => {
      expectErrorShape(await api("POST", "/api/auth/login", { json: { email: "nope" } }), 400, "invalid_email");
      expectErrorShape(await sendAs(ann, ann.id, "me"), 400, "cannot_message_self");
      expectErrorShape(await api("GET", `/api/chat/history?with=${bob.id}&before=${randomUUID()}`, { user: ann }), 400, "invalid_cursor");
      expectErrorShape(await sendAs(ann, randomUUID(), "anyone?"), 404, "user_not_found");
      expectErrorShape(
        await api("POST", "/api/chat/read", { user: ann, json: { peerId: randomUUID(), seq: 1 } }),
        404,
        "conversation_not_found",
      );
      const invalid = await api("GET", "/api/chat/history?with=nope", { user: ann });
      expectErrorShape(invalid, 422, "validation_failed");
      expect(invalid.body.error.details).toEqual([expect.objectContaining({ path: "with", message: expect.any(String) })]);
    });

    it("when a POST comes from another site, then 403 forbidden_origin and ann stays signed in", async () => {
      expectErrorShape(await api("POST", "/api/auth/logout", { user: ann, origin: "https://evil.example" }), 403, "forbidden_origin");
      expect((await api("GET", "/api/auth/session", { user: ann })).status).toBe(200);
    });

    it("when a used sign-in link is posted again, then the confirm page answers 403 and sets no session", async () => {
      const again = await api("POST", "/auth/confirm", {
        body: new URLSearchParams({ token_hash: annTokenHash, type: "magiclink", next: "/chat" }).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(again.status).toBe(403);
      expect(again.headers.get("content-type")).toMatch(/^text\/html/);
      expect(again.text).toContain('href="/login"');
      expect(sessionCookie(again)).toBeUndefined();
      const incomplete = await api("GET", "/auth/confirm?type=magiclink");
      expect([incomplete.status, incomplete.headers.get("content-type")]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    });

    it("when a second sign-in link is asked for within the window, then 429 rate_limited with Retry-After and no second mail", async () => {
      const email = freshEmail("twice");
      const since = Date.now();
      expect((await api("POST", "/api/auth/login", { json: { email } })).body).toEqual({ data: { sent: true } });
      await stack.magicLink(email, since);
      const second = await api("POST", "/api/auth/login", { json: { email } });
      expectErrorShape(second, 429, "rate_limited");
      expectRetryAfter(second, 60);
      // A sentinel mail to another address, sent after: once it is here, a second link would be too.
      const sentinel = freshEmail("sentinel");
      expect((await api("POST", "/api/auth/login", { json: { email: sentinel } })).status).toBe(200);
      await stack.magicLink(sentinel, since);
      expect(await mailCount(stack, email)).toBe(1);
    });

    it(`when a user sends more than RATE_LIMIT_SEND (${LIMITS.sendPerUser}) messages, then 429 with Retry-After, nothing more is stored, and a retry of a stored one still answers 200`, async () => {
      const { user: dave } = await signIn(stack, freshEmail("dave"));
      const sent: Reply[] = [];
      for (let index = 0; index < LIMITS.sendPerUser; index += 1) sent.push(await sendAs(dave, bob.id, `burst ${index}`));
      expect(sent.map((reply) => reply.status)).toEqual(Array(LIMITS.sendPerUser).fill(201));
      const over = await sendAs(dave, bob.id, "one too many");
      expectErrorShape(over, 429, "rate_limited");
      expectRetryAfter(over, 60);
      const history = await api("GET", `/api/chat/history?with=${bob.id}&limit=100`, { user: dave });
      expect(history.body.data.messages.map((m: { content: string }) => m.content)).toEqual(sent.map((_, index) => `burst ${index}`));
      const retry = await sendAs(dave, bob.id, "burst 3", sent[3]!.body.data.clientId);
      expect([retry.status, retry.body.data]).toEqual([200, sent[3]!.body.data]);
    });

    it(`when a user searches more than RATE_LIMIT_USERS (${LIMITS.usersSearch}) times, then 429 rate_limited with Retry-After`, async () => {
      const { user: erin } = await signIn(stack, freshEmail("erin"));
      const statuses: number[] = [];
      for (let index = 0; index < LIMITS.usersSearch; index += 1)
        statuses.push((await api("GET", `/api/users?q=${encodeURIComponent(bob.email)}`, { user: erin })).status);
      expect(statuses).toEqual(Array(LIMITS.usersSearch).fill(200));
      const over = await api("GET", `/api/users?q=${encodeURIComponent(bob.email)}`, { user: erin });
      expectErrorShape(over, 429, "rate_limited");
      expectRetryAfter(over, 60);
    });

    it(`when a user edits, deletes and reacts more than RATE_LIMIT_MESSAGE_ACTIONS (${LIMITS.messageActions}) times, then 429 rate_limited with Retry-After, and the over-limit reaction is not stored`, async () => {
      const { user: gwen } = await signIn(stack, freshEmail("gwen"));
      const message = (await sendAs(gwen, bob.id, "react to me")).body.data;
      const reactions = `/api/chat/messages/${message.id}/reactions`;
      const statuses: number[] = [];
      // Each kind counts against one budget: an edit, then reactions on and off, then a deletion last.
      statuses.push((await api("PATCH", `/api/chat/messages/${message.id}`, { user: gwen, json: { content: "react to me!" } })).status);
      for (let index = 1; index < LIMITS.messageActions; index += 1)
        statuses.push((await api(index % 2 ? "PUT" : "DELETE", `${reactions}/%F0%9F%91%8D`, { user: gwen })).status);
      expect(statuses).toEqual(Array(LIMITS.messageActions).fill(200));
      const over = await api("PUT", `${reactions}/%F0%9F%8E%89`, { user: gwen });
      expectErrorShape(over, 429, "rate_limited");
      expectRetryAfter(over, 60);
      expectErrorShape(await api("DELETE", `/api/chat/messages/${message.id}`, { user: gwen }), 429, "rate_limited");
      const [stored] = (await api("GET", `/api/chat/history?with=${gwen.id}`, { user: bob })).body.data.messages.filter(
        (m: { id: string }) => m.id === message.id,
      );
      expect([stored.content, stored.deletedAt, stored.reactions.map((r: { emoji: string }) => r.emoji)]).toEqual([
        "react to me!",
        null,
        ["👍"],
      ]);
    });

    it(`when a user searches messages more than RATE_LIMIT_SEARCH (${LIMITS.messageSearch}) times, then 429 rate_limited with Retry-After`, async () => {
      const { user: hana } = await signIn(stack, freshEmail("hana"));
      const statuses: number[] = [];
      for (let index = 0; index < LIMITS.messageSearch; index += 1)
        statuses.push((await api("GET", "/api/chat/search?q=hello", { user: hana })).status);
      expect(statuses).toEqual(Array(LIMITS.messageSearch).fill(200));
      const over = await api("GET", "/api/chat/search?q=hello", { user: hana });
      expectErrorShape(over, 429, "rate_limited");
      expectRetryAfter(over, 60);
    });

    it("when a stranger searches by prefix, then nobody is listed; by the exact address, then the user is", async () => {
      const { user: frank } = await signIn(stack, freshEmail("frank"));
      const prefix = await api("GET", `/api/users?q=${encodeURIComponent(ann.email.slice(0, 6))}`, { user: frank });
      expect(prefix.status).toBe(200);
      expect(prefix.body.data.map((user: { id: string }) => user.id)).not.toContain(ann.id);
      const exact = await api("GET", `/api/users?q=${encodeURIComponent(ann.email)}`, { user: frank });
      expect(exact.body.data.map((user: { id: string }) => user.id)).toEqual([ann.id]);
      // People you share a conversation with are found by prefix.
      const peer = await api("GET", `/api/users?q=${encodeURIComponent(bob.email.slice(0, 6))}`, { user: ann });
      expect(peer.body.data.map((user: { id: string }) => user.id)).toContain(bob.id);
    });

    it("when metrics are scraped, then production needs METRICS_TOKEN on both processes", async () => {
      const web = await api("GET", "/api/metrics");
      const socket = await call(stack.socketUrl, "GET", "/metrics");
      if (!stack.metricsToken) {
        expect([web.status, socket.status]).toEqual([200, 200]);
        return;
      }
      expectErrorShape(web, 401, "unauthorized");
      expect(socket.status).toBe(401);
      const authorization = `Bearer ${stack.metricsToken}`;
      const webScrape = await call(stack.baseUrl, "GET", "/api/metrics", { headers: { authorization } });
      const socketScrape = await call(stack.socketUrl, "GET", "/metrics", { headers: { authorization } });
      expect([webScrape.status, socketScrape.status]).toEqual([200, 200]);
      expect(webScrape.text).toContain("process_cpu_user_seconds_total");
    });
  });

  // Only the production build has production start-up rules; `next dev` has no such case.
  if (mode === "next start") {
    describe("production start-up", () => {
      it("when METRICS_TOKEN is missing in production, then neither process starts, and each names it", async () => {
        const [web, socket] = await Promise.all([
          probeStart(stack, "web", { METRICS_TOKEN: "" }),
          probeStart(stack, "socket", { METRICS_TOKEN: "" }),
        ]);
        expect(web.started ? "web started" : web.output).toMatch(/METRICS_TOKEN/);
        expect(socket.started ? "socket started" : socket.output).toMatch(/METRICS_TOKEN/);
      });
    });
  }

  describe("the socket server", () => {
    it("when the handshake has no, a bad, a tampered or an expired token, then connect_error unauthorized; a fresh token connects", async () => {
      const outcomes = await Promise.all([
        connectSocket(stack.socketUrl, {}),
        connectSocket(stack.socketUrl, { token: "garbage" }),
        connectSocket(stack.socketUrl, {
          token: (await api("GET", "/api/auth/session", { user: ann })).body.data.accessToken.slice(0, -4) + "AAAA",
        }),
        connectSocket(stack.socketUrl, {
          token: await signToken(stack.authJwtSecret, {
            sub: ann.id,
            role: "authenticated",
            aud: "authenticated",
            email: ann.email,
            expiresIn: -30,
          }),
        }),
      ]);
      expect(outcomes.map((outcome) => (outcome.connected ? "connected" : outcome.error))).toEqual(Array(4).fill("unauthorized"));
      const fresh = await connectSocket(stack.socketUrl, {
        token: (await api("GET", "/api/auth/session", { user: bob })).body.data.accessToken,
      });
      expect(fresh.connected).toBe(true);
      if (fresh.connected) fresh.socket.close();
    });

    it("when pushes arrive, then the receiver answers 202, 200 duplicate, 401 invalid_signature, 422 invalid_payload and 413", async () => {
      const body = JSON.stringify({
        type: "read.updated",
        data: { conversationId: randomUUID(), userId: bob.id, peerId: ann.id, lastReadSeq: 4242 },
      });
      const push = signPush(stack.webhookSecret, body);
      const post = (headers: Record<string, string>, payload: string) =>
        call(stack.socketUrl, "POST", "/webhooks/messages", { headers, body: payload, origin: null });
      const first = await post(push.headers, push.body);
      expect([first.status, first.body]).toEqual([202, { data: { delivered: true } }]);
      await waitForEvent<{ lastReadSeq: number }>(annSocket, "read:updated", (update) => update.lastReadSeq === 4242);
      const again = await post(push.headers, push.body);
      expect([again.status, again.body]).toEqual([200, { data: { duplicate: true } }]);
      expectErrorShape(await post({ "content-type": "application/json" }, body), 401, "invalid_signature");
      const invalid = signPush(stack.webhookSecret, JSON.stringify({ type: "message.created", data: {} }));
      expectErrorShape(await post(invalid.headers, invalid.body), 422, "invalid_payload");
      const large = signPush(stack.webhookSecret, JSON.stringify({ type: "read.updated", pad: "x".repeat(70_000) }));
      expectErrorShape(await post(large.headers, large.body), 413, "payload_too_large");
    });
  });

  describe("the bad-input catalogue", () => {
    it(`has at least 100 cases across every endpoint`, () => {
      expect(CASES.length).toBeGreaterThanOrEqual(100);
      expect(new Set(CASES.map((item) => item.area))).toEqual(
        new Set([
          "auth",
          "send",
          "history",
          "search",
          "conversations",
          "messages",
          "changes",
          "read",
          "profile",
          "users",
          "dev mailbox",
          "confirm/callback",
          "socket handshake",
          "webhook receiver",
          "attachments",
        ]),
      );
    });

    let sentinelSeq = 1_000_000;

    // What the previous case left: each case's "after" is the next one's "before".
    let state: Awaited<ReturnType<typeof fingerprint>> | undefined;

    it.each(CASES.map((item) => [`${item.area}: ${item.name}`, item] as const))(
      "when %s, then the specified answer, no 5xx, nothing stored",
      async (label, item) => {
        const before = state ?? (await fingerprint(stack, context));
        state = undefined;
        const eventsBefore = annSocket.events.length;
        const expected = item.expect(mode);
        catalogueCases += 1;
        let outcome: Outcome;
        try {
          outcome = await item.run(context);
        } catch (error) {
          noteFailure(mode, label, `threw ${(error as Error).message}`);
          tally.set(`${mode} | threw`, (tally.get(`${mode} | threw`) ?? 0) + 1);
          throw error;
        }
        const status = String(outcome.status);
        tally.set(`${mode} | ${status}`, (tally.get(`${mode} | ${status}`) ?? 0) + 1);
        if (typeof outcome.status === "number" && outcome.status >= 400) reached.add(`${outcome.status} ${outcome.code ?? ""}`.trim());
        const got = `${status}${outcome.code ? ` ${outcome.code}` : ""}`;
        const want = `${expected.status}${expected.code ? ` ${expected.code}` : ""}`;
        if (got !== want) noteFailure(mode, label, `expected ${want}, got ${got}`);

        // Nothing stored or changed, nothing emitted: a sentinel push after the case is the first event.
        const after = await fingerprint(stack, context);
        state = after;
        const stored = JSON.stringify(after) === JSON.stringify(before);
        if (!stored) noteFailure(mode, label, "changed what is stored");
        sentinelSeq += 1;
        const seq = sentinelSeq;
        const sentinel = signPush(
          stack.webhookSecret,
          JSON.stringify({
            type: "read.updated",
            data: { conversationId: randomUUID(), userId: bob.id, peerId: ann.id, lastReadSeq: seq },
          }),
        );
        expect(
          (await call(stack.socketUrl, "POST", "/webhooks/messages", { headers: sentinel.headers, body: sentinel.body, origin: null }))
            .status,
        ).toBe(202);
        await waitForEvent<{ lastReadSeq: number }>(annSocket, "read:updated", (update) => update.lastReadSeq === seq);
        const emitted = annSocket.events
          .slice(eventsBefore)
          .map(([event, payload]) => [event, (payload as { lastReadSeq?: number }).lastReadSeq]);
        if (emitted.length !== 1) noteFailure(mode, label, `emitted ${JSON.stringify(emitted.slice(0, -1))}`);

        if (typeof outcome.status === "number") expect(outcome.status, `${label}: a 5xx`).toBeLessThan(500);
        expect(got, outcome.reply?.text.slice(0, 300)).toBe(want);
        const reply = outcome.reply;
        if (reply && reply.status >= 400 && (reply.headers.get("content-type") ?? "").includes("json"))
          expectErrorShape(reply, reply.status, expected.code!);
        try {
          item.verify?.(outcome, context);
        } catch (error) {
          noteFailure(mode, label, (error as Error).message);
          throw error;
        }
        expect(after).toEqual(before);
        expect(emitted).toEqual([["read:updated", seq]]);
        expect((await call(stack.baseUrl, "GET", "/healthz")).status).toBe(200);
      },
    );
  });

  describe("readiness", () => {
    it.skipIf(!TEST_REDIS_URL)(
      "when Redis is out of reach, then /readyz answers 503 not_ready with Retry-After, and 200 once it is back",
      async () => {
        expect((await api("GET", "/readyz")).body).toMatchObject({ data: { ready: true, checks: { database: "ok", redis: "ok" } } });
        stack.redis!.cut();
        try {
          const down = await api("GET", "/readyz");
          expectErrorShape(down, 503, "not_ready");
          expect(down.body.error.details).toMatchObject({ redis: expect.not.stringMatching(/^ok$/) });
          expectRetryAfter(down, 60);
        } finally {
          stack.redis!.restore();
        }
        const deadline = Date.now() + 15_000;
        let status = 0;
        while (Date.now() < deadline && status !== 200) {
          status = (await api("GET", "/readyz")).status;
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        expect(status).toBe(200);
      },
    );

    it("when ann makes a group, then 201, members get message:new live, and the group endpoints answer their documented codes", async () => {
      const [{ user: cat }, { user: dan }] = await Promise.all([signIn(stack, freshEmail("cat")), signIn(stack, freshEmail("dan"))]);
      const create = (json: unknown) => api("POST", "/api/chat/conversations", { user: ann, json });
      expectErrorShape(await create({ kind: "group", name: "Two", memberIds: [bob.id] }), 422, "group_too_small");
      const crowd = [bob.id, cat.id, ...Array.from({ length: 100 }, () => randomUUID())];
      expectErrorShape(await create({ kind: "group", name: "Crowd", memberIds: crowd }), 422, "group_too_large");
      expectErrorShape(await create({ kind: "group", name: "Ghost", memberIds: [bob.id, randomUUID()] }), 404, "user_not_found");
      expectErrorShape(await create({ kind: "group", name: " ", memberIds: [bob.id, cat.id] }), 422, "validation_failed");

      const created = await create({ kind: "group", name: "Crew", memberIds: [bob.id, cat.id] });
      expect(created.status).toBe(201);
      const id = created.body.data.id as string;
      expect(created.body.data).toMatchObject({ kind: "group", name: "Crew", role: "owner", members: { count: 3 } });

      const bobToken = (await api("GET", "/api/auth/session", { user: bob })).body.data.accessToken as string;
      const bobSocket = await connectSocket(stack.socketUrl, { token: bobToken });
      if (!bobSocket.connected) throw new Error(bobSocket.error);
      try {
        const sent = await api("POST", "/api/chat/send", {
          user: cat,
          json: { conversationId: id, content: "hi crew", clientId: randomUUID() },
        });
        expect([sent.status, sent.body.data.recipientId]).toEqual([201, null]);
        const delivered = await waitForEvent<{ id: string }>(bobSocket, "message:new", (message) => message.id === sent.body.data.id);
        expect(delivered).toEqual(sent.body.data);
      } finally {
        bobSocket.socket.close();
      }
      const history = await api("GET", `/api/chat/history?conversation=${id}`, { user: bob });
      expect(history.body.data.messages.map((m: { kind: string }) => m.kind)).toEqual(["system", "text"]);
      const read = await api("POST", "/api/chat/read", { user: bob, json: { conversationId: id, seq: 2 } });
      expect(read.body.data).toEqual({ conversationId: id, userId: bob.id, peerId: null, lastReadSeq: 2 });

      const conversation = `/api/chat/conversations/${id}`;
      expect((await api("GET", conversation, { user: cat })).body.data.memberList).toHaveLength(3);
      expectErrorShape(await api("GET", conversation, { user: dan }), 404, "conversation_not_found");
      expectErrorShape(await api("PATCH", conversation, { user: bob, json: { name: "Bob's" } }), 403, "not_owner");
      expect((await api("PATCH", conversation, { user: ann, json: { name: "Crew 2" } })).body.data.name).toBe("Crew 2");
      const direct = (await api("GET", "/api/chat/conversations", { user: ann })).body.data.find(
        (c: { kind: string }) => c.kind === "direct",
      );
      expectErrorShape(await api("PATCH", `/api/chat/conversations/${direct.id}`, { user: ann, json: { name: "Us" } }), 422, "not_a_group");

      expectErrorShape(await api("POST", `${conversation}/members`, { user: bob, json: { userIds: [dan.id] } }), 403, "not_owner");
      const added = await api("POST", `${conversation}/members`, { user: ann, json: { userIds: [dan.id] } });
      expect([added.status, added.body.data.members.count]).toEqual([200, 4]);
      expectErrorShape(await api("DELETE", `${conversation}/members/${randomUUID()}`, { user: ann }), 404, "member_not_found");
      expectErrorShape(await api("DELETE", `${conversation}/members/${cat.id}`, { user: bob }), 403, "not_owner");
      expect((await api("DELETE", `${conversation}/members/${dan.id}`, { user: ann })).status).toBe(200);
      expectErrorShape(await api("GET", `/api/chat/history?conversation=${id}`, { user: dan }), 404, "conversation_not_found");
      expect((await api("DELETE", `${conversation}/members/${cat.id}`, { user: cat })).body).toEqual({ data: { left: true } });
    });

    it("when a user attaches files, then the upload flow answers 201/200 with the documented headers, and the attachment codes", async () => {
      const png = Buffer.from(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
        "base64",
      );
      const { user: sender } = await signIn(stack, freshEmail("attacher"));
      const start = (name: string, size: number) =>
        api("POST", "/api/chat/attachments", { user: sender, json: { with: bob.id, name, size } });
      const created = await start("dot.png", png.byteLength);
      expect(created.status, created.text).toBe(201);
      const { attachment, upload } = created.body.data;
      expect(upload).toEqual({ method: "PUT", url: `/api/chat/attachments/${attachment.id}/content`, headers: expect.any(Object) });
      expectErrorShape(await api("POST", `/api/chat/attachments/${attachment.id}/complete`, { user: sender }), 409, "upload_missing");
      expectErrorShape(
        await api("PUT", upload.url, { user: sender, body: Buffer.concat([png, png]), headers: upload.headers }),
        413,
        "attachment_too_large",
      );
      expect((await api("PUT", upload.url, { user: sender, body: png, headers: upload.headers })).status).toBe(200);
      const done = await api("POST", `/api/chat/attachments/${attachment.id}/complete`, { user: sender });
      expect(done.body.data).toMatchObject({ contentType: "image/png", kind: "image", width: 2, height: 2 });
      expectErrorShape(await api("PUT", upload.url, { user: sender, body: png, headers: upload.headers }), 409, "attachment_complete");
      expectErrorShape(await api("GET", `/api/chat/attachments/${attachment.id}`, { user: bob }), 404, "attachment_not_found");
      const sent = await api("POST", "/api/chat/send", {
        user: sender,
        json: { recipientId: bob.id, clientId: randomUUID(), attachmentIds: [attachment.id] },
      });
      expect(sent.status, sent.text).toBe(201);
      expect(chatMessageSchema.parse(sent.body.data).attachments).toEqual([done.body.data]);
      expectErrorShape(
        await api("POST", "/api/chat/send", {
          user: sender,
          json: { recipientId: bob.id, clientId: randomUUID(), attachmentIds: [attachment.id] },
        }),
        422,
        "invalid_attachments",
      );
      const file = await api("GET", `/api/chat/attachments/${attachment.id}`, { user: bob });
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toBe("image/png");
      expect(file.headers.get("x-content-type-options")).toBe("nosniff");
      expect(file.headers.get("content-disposition")).toBe("inline; filename=dot.png");
      expect(file.headers.get("cache-control")).toMatch(/^private/);
      expect(
        (await api("GET", `/api/chat/attachments/${attachment.id}?download=1`, { user: bob })).headers.get("content-disposition"),
      ).toBe("attachment; filename=dot.png");
      expectErrorShape(
        await api("POST", "/api/chat/send", {
          user: sender,
          json: { recipientId: bob.id, clientId: randomUUID(), attachmentIds: Array.from({ length: 11 }, () => randomUUID()) },
        }),
        422,
        "too_many_attachments",
      );
      expectErrorShape(await start("big.bin", LIMITS.attachmentMaxBytes + 1), 413, "attachment_too_large");
      // The quota: a fresh user fills it with the largest files, then one byte more is refused.
      const { user: quota } = await signIn(stack, freshEmail("quota"));
      const ask = (size: number) => api("POST", "/api/chat/attachments", { user: quota, json: { with: bob.id, name: "q.bin", size } });
      for (let used = 0; used < LIMITS.attachmentQuotaBytes; used += LIMITS.attachmentMaxBytes)
        expect((await ask(LIMITS.attachmentMaxBytes)).status).toBe(201);
      expectErrorShape(await ask(1), 413, "quota_exceeded");
      // The upload rate: a fresh user asks RATE_LIMIT_ATTACHMENTS times, then 429 with Retry-After.
      const { user: busy } = await signIn(stack, freshEmail("busy"));
      for (let i = 0; i < LIMITS.attachmentUploads; i++)
        expect((await api("POST", "/api/chat/attachments", { user: busy, json: { with: bob.id, name: "r", size: 1 } })).status).toBe(201);
      const limited = await api("POST", "/api/chat/attachments", { user: busy, json: { with: bob.id, name: "r", size: 1 } });
      expectErrorShape(limited, 429, "rate_limited");
      expectRetryAfter(limited, 60);
    });

    it("when ann searches her messages, then 200 ranked highlighted pages with a cursor; a stranger finds nothing and 404 on the conversation", async () => {
      const { user: eve } = await signIn(stack, freshEmail("eve"));
      const word = `kestrel${randomUUID().slice(0, 8)}`;
      const sent = [];
      for (const content of [`${word} once`, `${word} ${word} twice`, `a <b>${word}</b> tag`])
        sent.push((await sendAs(ann, bob.id, content)).body.data);
      const search = (user: typeof ann, query: string) => api("GET", `/api/chat/search?${query}`, { user });

      const first = await search(bob, `q=${word}&limit=2`);
      expect(first.status).toBe(200);
      expect(first.body.data.results.map((r: { message: { id: string } }) => r.message.id)).toEqual([sent[1].id, sent[2].id]);
      expect(first.body.data.results[1].highlight).toBe(`a <b>\uE000${word}\uE001</b> tag`);
      expect(chatMessageSchema.safeParse(first.body.data.results[0].message).error?.issues ?? []).toEqual([]);
      const second = await search(bob, `q=${word}&limit=2&cursor=${first.body.data.next}`);
      expect([second.body.data.results.map((r: { message: { id: string } }) => r.message.id), second.body.data.next]).toEqual([
        [sent[0].id],
        null,
      ]);

      expect((await search(eve, `q=${word}`)).body).toEqual({ data: { results: [], next: null } });
      expectErrorShape(await search(eve, `q=${word}&conversationId=${sent[0].conversationId}`), 404, "conversation_not_found");
      expectErrorShape(await search(ann, `q=${word}&limit=51`), 422, "validation_failed");
      expectErrorShape(await search(ann, `q=${word}&cursor=nope`), 422, "validation_failed");
    });

    it("when members edit, delete, react and reply, then the lifecycle endpoints answer their documented codes, pushes arrive live and the change stream replays them", async () => {
      const [{ user: gus }, { user: hal }, { user: ivy }] = await Promise.all([
        signIn(stack, freshEmail("gus")),
        signIn(stack, freshEmail("hal")),
        signIn(stack, freshEmail("ivy")),
      ]);
      const send = (json: Record<string, unknown>) =>
        api("POST", "/api/chat/send", { user: gus, json: { clientId: randomUUID(), ...json } });
      const first = await send({ recipientId: hal.id, content: "see you at 5" });
      const messageId = first.body.data.id as string;
      const path = `/api/chat/messages/${messageId}`;
      const thumbs = `${path}/reactions/${encodeURIComponent("👍")}`;
      const halToken = (await api("GET", "/api/auth/session", { user: hal })).body.data.accessToken as string;
      const halSocket = await connectSocket(stack.socketUrl, { token: halToken });
      if (!halSocket.connected) throw new Error(halSocket.error);
      try {
        // Replies: to a message of this conversation, not another's.
        const reply = await api("POST", "/api/chat/send", {
          user: hal,
          json: { recipientId: gus.id, content: "ok", clientId: randomUUID(), replyToId: messageId },
        });
        expect([reply.status, reply.body.data.replyTo]).toEqual([
          201,
          { id: messageId, senderId: gus.id, excerpt: "see you at 5", attachmentCount: 0, deleted: false },
        ]);
        expectErrorShape(await send({ recipientId: hal.id, content: "x", replyToId: context.foreignMessageId }), 422, "invalid_reply");

        // Edits: the sender's own, live to the peer as message:changed.
        const edited = await api("PATCH", path, { user: gus, json: { content: "see you at 6" } });
        expect(edited.status).toBe(200);
        expect(edited.body.data).toMatchObject({ id: messageId, content: "see you at 6", editedAt: expect.any(String), deletedAt: null });
        expect(chatMessageSchema.safeParse(edited.body.data).error?.issues ?? []).toEqual([]);
        const live = await waitForEvent<Change>(halSocket, "message:changed", (change) => change.type === "message.edited");
        expect(changeSchema.safeParse(live).error?.issues ?? []).toEqual([]);
        expect(live).toMatchObject({ pos: 3, actorId: gus.id, emoji: null, message: edited.body.data });
        expectErrorShape(await api("PATCH", path, { user: hal, json: { content: "mine" } }), 403, "not_your_message");
        expectErrorShape(await api("PATCH", path, { user: ivy, json: { content: "mine" } }), 404, "message_not_found");
        expectErrorShape(await api("PATCH", path, { user: gus, json: { content: "\u200b" } }), 422, "validation_failed");

        // Reactions: any member, idempotent, URL-encoded; not on system messages; 20 different emoji at most.
        const reacted = await api("PUT", thumbs, { user: hal });
        expect([reacted.status, reacted.body.data.reactions]).toEqual([200, [{ emoji: "👍", count: 1, userIds: [hal.id] }]]);
        expect((await api("PUT", thumbs, { user: hal })).body.data.reactions).toEqual(reacted.body.data.reactions);
        expectErrorShape(await api("PUT", thumbs, { user: ivy }), 404, "message_not_found");
        const many = [..."😀😁😂😃😄😅😆😇😈😉😊😋😌😍😎😏😐😑😒"];
        for (const emoji of many)
          expect((await api("PUT", `${path}/reactions/${encodeURIComponent(emoji)}`, { user: gus })).status).toBe(200);
        expectErrorShape(await api("PUT", `${path}/reactions/${encodeURIComponent("😓")}`, { user: gus }), 422, "too_many_reactions");
        const unreacted = await api("DELETE", thumbs, { user: hal });
        expect([unreacted.status, unreacted.body.data.reactions.map((r: { emoji: string }) => r.emoji)]).toEqual([200, many]);
        const group = await api("POST", "/api/chat/conversations", {
          user: gus,
          json: { kind: "group", name: "Life", memberIds: [hal.id, ivy.id] },
        });
        const systemMessage = group.body.data.lastMessage.id as string;
        expectErrorShape(
          await api("PUT", `/api/chat/messages/${systemMessage}/reactions/${encodeURIComponent("👍")}`, { user: hal }),
          422,
          "system_message",
        );

        // Deletion: a tombstone, idempotent, the sender's only; then edits and reactions are 409.
        expectErrorShape(await api("DELETE", path, { user: hal }), 403, "not_your_message");
        const deleted = await api("DELETE", path, { user: gus });
        expect(deleted.status).toBe(200);
        expect(deleted.body.data).toMatchObject({ content: "", reactions: [], attachments: [], deletedAt: expect.any(String) });
        expect((await api("DELETE", path, { user: gus })).body).toEqual(deleted.body);
        expectErrorShape(await api("PATCH", path, { user: gus, json: { content: "back" } }), 409, "message_deleted");
        expectErrorShape(await api("PUT", thumbs, { user: hal }), 409, "message_deleted");
        await waitForEvent<Change>(halSocket, "message:changed", (change) => change.type === "message.deleted");

        // The change stream replays it all in order, each change with the message as it is now.
        const all: Change[] = [];
        let after = 0;
        for (;;) {
          const page = await api("GET", `/api/chat/changes?with=${gus.id}&after=${after}&limit=10`, { user: hal });
          expect(page.status).toBe(200);
          all.push(...page.body.data.changes);
          if (page.body.data.nextAfter === null) {
            expect(page.body.data.lastPos).toBe(all.at(-1)!.pos);
            break;
          }
          after = page.body.data.nextAfter;
        }
        expect(all.map((change) => change.pos)).toEqual(all.map((_, index) => index + 1));
        expect(all.map((change) => change.type)).toEqual([
          "message.created",
          "message.created",
          "message.edited",
          "reaction.added",
          ...many.map(() => "reaction.added"),
          "reaction.removed",
          "message.deleted",
        ]);
        for (const change of all) expect(changeSchema.safeParse(change).error?.issues ?? []).toEqual([]);
        expect(all.filter((change) => change.message.id === messageId).map((change) => change.message.content)).toEqual(
          Array(all.length - 1).fill(""),
        );
        const conversations = await api("GET", "/api/chat/conversations", { user: hal });
        const direct = conversations.body.data.find((c: { peer: { id: string } | null }) => c.peer?.id === gus.id);
        expect(direct.lastPos).toBe(all.length);
        expectErrorShape(await api("GET", `/api/chat/changes?conversationId=${direct.id}`, { user: ivy }), 404, "conversation_not_found");
      } finally {
        halSocket.socket.close();
      }

      // Past EDIT_WINDOW_SECONDS (ann sent this one first, minutes ago): 422 edit_window_closed.
      const closesAt = Date.parse(firstMessage.createdAt) + (LIMITS.editWindowSeconds + 1) * 1000;
      if (Date.now() < closesAt) await new Promise((resolve) => setTimeout(resolve, closesAt - Date.now()));
      expectErrorShape(
        await api("PATCH", `/api/chat/messages/${firstMessage.id}`, { user: ann, json: { content: "too late" } }),
        422,
        "edit_window_closed",
      );
    });

    it("reached every documented status and code", () => {
      expect(DOCUMENTED.length, "README's API section lists the codes as 400 `code`").toBeGreaterThanOrEqual(12);
      const missing = DOCUMENTED.filter((pair) => !reached.has(pair) && !(pair === "503 not_ready" && !TEST_REDIS_URL));
      expect(missing).toEqual([]);
    });
  });
});

/** What the catalogue must never change: both users' conversations, their history, profiles, ann's session, the mail sent. */
async function fingerprint(stack: ContractStack, { ann, bob }: CatalogueContext) {
  const get = (path: string, user?: SignedInUser) => call(stack.baseUrl, "GET", path, { user });
  const [annConversations, bobConversations, history, annProfile, bobProfile, annSession, mailbox] = await Promise.all([
    get("/api/chat/conversations", ann),
    get("/api/chat/conversations", bob),
    get(`/api/chat/history?with=${bob.id}&limit=100`, ann),
    get("/api/profile", ann),
    get("/api/profile", bob),
    get("/api/auth/session", ann),
    stack.mail ? Promise.resolve(null) : get("/api/dev/mailbox"),
  ]);
  return {
    annConversations: annConversations.body,
    bobConversations: bobConversations.body,
    history: history.body,
    annProfile: annProfile.body,
    bobProfile: bobProfile.body,
    annSignedIn: [annSession.status, annSession.body?.data?.user?.id],
    mail: stack.mail ? stack.mail.mails.length : [mailbox?.body.data.length, mailbox?.body.data[0]],
  };
}

/** How many sign-in mails `email` got. */
async function mailCount(stack: ContractStack, email: string): Promise<number> {
  if (stack.mail) return stack.mail.mails.filter((mail) => mail.to.includes(email)).length;
  const reply = await call(stack.baseUrl, "GET", `/api/dev/mailbox?email=${encodeURIComponent(email)}`);
  return (reply.body.data as unknown[]).length;
}
