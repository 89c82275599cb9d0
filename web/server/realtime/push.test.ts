import { afterEach, describe, expect, it } from "vitest";
import { buildMessage } from "socket-server/contract/testing";
import { startPushReceiver, waitFor } from "@/test/support/push-receiver";
import { createWebhookPush } from "./push";

const SECRET = "whsec_cHVzaC10ZXN0LXNlY3JldC1mb3ItdW5pdC10ZXN0cw==";
const OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LXRoYXQtdGhlLXNlcnZlci1kb2VzLW5vdC1rbm93";

const receivers: Awaited<ReturnType<typeof startPushReceiver>>[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

function pushTo(url: string, secret: string, log: string[] = []) {
  const tasks: Promise<void>[] = [];
  const push = createWebhookPush({ url, secret, defer: (task) => tasks.push(task()), backoffMs: 5, log: (l) => log.push(l) });
  return { push, settled: () => Promise.all(tasks), log };
}

describe("webhook push", () => {
  it("when the socket server answers 5xx at first, then the push is retried until it lands once", async () => {
    const statuses = [503, 500, 202];
    const receiver = await startPushReceiver(SECRET, () => statuses.shift() ?? 202);
    receivers.push(receiver);
    const { push, settled } = pushTo(receiver.url, SECRET);
    const message = buildMessage();
    push.messageCreated(message);
    await settled();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]).toEqual({ id: `msg_${message.id}`, push: { type: "message.created", data: message } });
  });

  it("when the signature is refused (401), then it is not retried and the failure is logged", async () => {
    let calls = 0;
    const receiver = await startPushReceiver(SECRET, () => (calls++, 202));
    receivers.push(receiver);
    const { push, settled, log } = pushTo(receiver.url, OTHER_SECRET);
    push.messageCreated(buildMessage());
    await settled();
    expect(calls).toBe(0); // the receiver refused before counting: bad signature
    expect(receiver.received).toHaveLength(0);
    expect(log.join("\n")).toMatch(/refused by the socket server: HTTP 401/);
  });

  it("when the socket server is unreachable, then a bounded number of attempts are made and nothing throws", async () => {
    const { push, settled, log } = pushTo("http://127.0.0.1:9", SECRET);
    push.messageCreated(buildMessage());
    await settled();
    expect(log.filter((line) => line.includes("failed"))).toHaveLength(5);
  });

  it("when pushes are deferred, then messageCreated returns before delivery", async () => {
    const receiver = await startPushReceiver(SECRET);
    receivers.push(receiver);
    const { push, settled } = pushTo(receiver.url, SECRET);
    push.messageCreated(buildMessage());
    expect(receiver.received).toHaveLength(0);
    await settled();
    await waitFor(() => receiver.received.length === 1);
  });
});
