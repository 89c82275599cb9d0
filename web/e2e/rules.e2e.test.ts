import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signInViaMailbox } from "./support/node-chat";
import { startStack, type Stack } from "./support/stack";

// The privacy and content rules through the production build (`next start`): clientId
// conflicts, invisible-only content, the private directory and its rate limit. HTTP only.
const USERS_LIMIT = 5;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_USERS: `${USERS_LIMIT}/60` } });
});
afterAll(() => stack?.stop());

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; error?: { code: string; message: string; details?: { path: string; message: string }[] } };
}

async function request(cookie: string, method: "GET" | "POST", path: string, json?: unknown): Promise<Answer> {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { cookie, origin: stack.baseUrl, ...(json === undefined ? {} : { "content-type": "application/json" }) },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer["body"] };
}

async function signIn(email: string) {
  const { cookie, user } = await signInViaMailbox(stack.baseUrl, email);
  return { cookie, id: user.id, email };
}

describe("privacy and content rules through the production build", () => {
  it("when the same clientId comes with other content or another recipient, then 409 client_id_conflict and only the original is stored", async () => {
    const ann = await signIn("ann@rules.test");
    const bob = await signIn("bob@rules.test");
    const cy = await signIn("cy@rules.test");
    const clientId = randomUUID();
    const first = await request(ann.cookie, "POST", "/api/chat/send", { recipientId: bob.id, content: "the original", clientId });
    expect(first.status).toBe(201);
    const edited = await request(ann.cookie, "POST", "/api/chat/send", { recipientId: bob.id, content: "the original, edited", clientId });
    expect([edited.status, edited.body.error?.code]).toEqual([409, "client_id_conflict"]);
    const redirected = await request(ann.cookie, "POST", "/api/chat/send", { recipientId: cy.id, content: "the original", clientId });
    expect([redirected.status, redirected.body.error?.code]).toEqual([409, "client_id_conflict"]);
    const repeat = await request(ann.cookie, "POST", "/api/chat/send", { recipientId: bob.id, content: "the original", clientId });
    expect([repeat.status, repeat.body.data?.id]).toEqual([200, first.body.data.id]);
    const history = await request(bob.cookie, "GET", `/api/chat/history?with=${ann.id}`);
    expect(history.body.data.messages.map((m: { content: string }) => m.content)).toEqual(["the original"]);
    expect((await request(cy.cookie, "GET", "/api/chat/conversations")).body.data).toEqual([]);
  });

  it("when the content is only zero-width and other invisible characters, then 422 on content and nothing is stored", async () => {
    const dee = await signIn("dee@rules.test");
    const eve = await signIn("eve@rules.test");
    for (const content of ["\u200b\u200b\u200b", " \u2060\ufeff\u200d\u00a0 "]) {
      const res = await request(dee.cookie, "POST", "/api/chat/send", { recipientId: eve.id, content, clientId: randomUUID() });
      expect([res.status, res.body.error?.code]).toEqual([422, "validation_failed"]);
      expect(res.body.error?.details?.map((detail) => detail.path)).toEqual(["content"]);
    }
    expect((await request(eve.cookie, "GET", `/api/chat/history?with=${dee.id}`)).body.data.messages).toEqual([]);
  });

  it("when a stranger searches the directory, then only an exact email address finds someone, and never oneself", async () => {
    const fay = await signIn("fay@rules.test");
    const gus = await signIn("gus@rules.test");
    const search = async (q: string) => {
      const res = await request(gus.cookie, "GET", `/api/users?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      return res.body.data as { id: string; email: string }[];
    };
    expect(await search("fay")).toEqual([]);
    expect(await search("FAY@rules.test")).toEqual([{ id: fay.id, email: "fay@rules.test", displayName: null }]);
    expect(await search("gus@rules.test")).toEqual([]);
  });

  it(`when a user searches more than ${USERS_LIMIT} times within the window, then 429 rate_limited with Retry-After`, async () => {
    const hal = await signIn("hal@rules.test");
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i <= USERS_LIMIT; i++) {
      const res = await request(hal.cookie, "GET", `/api/users?q=nobody${i}@rules.test`);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([...Array.from({ length: USERS_LIMIT }, () => 200), 429]);
    expect(limited?.body.error?.code).toBe("rate_limited");
    const retryAfter = Number(limited?.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});
