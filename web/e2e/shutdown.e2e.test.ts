import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./support/stack";

// The web app on SIGTERM: in-flight sends finish (or never started), nothing acknowledged is
// lost, the database's data folder is released, and a restart on the same folder has it all.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_SEND: "10000/10" } });
});
afterAll(() => stack?.stop());

async function signIn(email: string): Promise<{ cookie: string; userId: string }> {
  const base = stack.baseUrl;
  const headers = { "content-type": "application/json", origin: base };
  expect((await fetch(`${base}/api/auth/login`, { method: "POST", headers, body: JSON.stringify({ email }) })).status).toBe(200);
  const mail = (await (await fetch(`${base}/api/dev/mailbox?email=${encodeURIComponent(email)}`)).json()) as { data: { link: string }[] };
  const link = new URL(mail.data[0]!.link);
  const confirmed = await fetch(`${base}/auth/confirm`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: new URLSearchParams({ token_hash: link.searchParams.get("token_hash")!, type: "magiclink", next: "/chat" }),
  });
  const cookie = confirmed.headers.getSetCookie()[0]!.split(";")[0]!;
  const session = (await (await fetch(`${base}/api/auth/session`, { headers: { cookie } })).json()) as { data: { user: { id: string } } };
  return { cookie, userId: session.data.user.id };
}

describe("web app shutdown", () => {
  it("when the web app gets SIGTERM mid-traffic, then acknowledged messages survive a restart on the same data folder", async () => {
    const ann = await signIn("ann@shutdown.test");
    const bob = await signIn("bob@shutdown.test");
    const send = (i: number) =>
      fetch(`${stack.baseUrl}/api/chat/send`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: stack.baseUrl, cookie: ann.cookie },
        body: JSON.stringify({ recipientId: bob.userId, content: `m${i}`, clientId: randomUUID() }),
      }).then(
        async (response) => ({ status: response.status, body: (await response.json()) as { data?: { id: string } } }),
        () => ({ status: 0, body: {} as { data?: { id: string } } }), // the connection was refused or cut: never acknowledged
      );

    const inFlight = Array.from({ length: 40 }, (_, i) => send(i));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await stack.web.stop();
    const results = await Promise.all(inFlight);

    // Next.js drains, then exits with 128 + the signal number, as a signal-terminated process does.
    expect(stack.web.logs()).toMatch(/exited \(code 143/);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(fs.existsSync(path.join(stack.dataDir, "db.lock"))).toBe(false);
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.data!.id);
    expect(acknowledged.length).toBeGreaterThan(0);

    await stack.web.start();
    const history = (await (
      await fetch(`${stack.baseUrl}/api/chat/history?with=${bob.userId}&limit=100`, { headers: { cookie: ann.cookie } })
    ).json()) as { data: { messages: { id: string }[] } };
    const stored = new Set(history.data.messages.map((m) => m.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
