import { describe, expect, it } from "vitest";
import { GAP_WAIT_MS } from "./catch-up";
import { buildClient, ME, PEER, settle } from "./test-support";

const contents = (client: ReturnType<typeof buildClient>["client"]) => client.getState().view?.messages.map((message) => message.content);

async function openWithPeer() {
  const harness = buildClient();
  harness.backend.store(PEER.id, ME.id, "one");
  harness.socket.up();
  await settle();
  await harness.client.openConversation(PEER);
  await settle();
  return harness;
}

describe("catch-up", () => {
  it("when the socket reconnects, then what was sent meanwhile is fetched after the last held message", async () => {
    const { client, backend, socket } = await openWithPeer();
    socket.down();
    backend.store(PEER.id, ME.id, "two");
    backend.store(PEER.id, ME.id, "three");
    socket.up();
    await settle();
    expect(contents(client)).toEqual(["one", "two", "three"]);
    const afterQueries = backend.callsOf("fetchHistory").filter((query) => (query as { after?: string }).after);
    expect(afterQueries).toHaveLength(1);
  });

  it("when a live message arrives past a lost push, then the gap is fetched after GAP_WAIT_MS, not before", async () => {
    const { client, backend, socket, clock } = await openWithPeer();
    backend.store(PEER.id, ME.id, "two (push lost)");
    socket.deliver(backend.store(PEER.id, ME.id, "three"));
    await clock.advance(GAP_WAIT_MS - 1);
    expect(contents(client)).toEqual(["one", "three"]);
    await clock.advance(1);
    await settle();
    expect(contents(client)).toEqual(["one", "two (push lost)", "three"]);
  });

  it("when the late push fills the gap in time, then no catch-up runs", async () => {
    const { client, backend, socket, clock } = await openWithPeer();
    const two = backend.store(PEER.id, ME.id, "two");
    socket.deliver(backend.store(PEER.id, ME.id, "three"));
    socket.deliver(two);
    const before = backend.callsOf("fetchHistory").length;
    await clock.advance(GAP_WAIT_MS * 2);
    await settle();
    expect(contents(client)).toEqual(["one", "two", "three"]);
    expect(backend.callsOf("fetchHistory")).toHaveLength(before);
  });

  it("when the page resumes (online, shown again, woke up), then it reconnects at once and catches up", async () => {
    const { client, backend, socket, page } = await openWithPeer();
    backend.store(PEER.id, ME.id, "two");
    page.resume("wake");
    await settle();
    expect(socket.log.reconnects).toBe(1);
    expect(contents(client)).toEqual(["one", "two"]);
  });

  it("when a catch-up fails, then the next trigger fetches it, and resync reports the failure", async () => {
    const { client, backend, socket } = await openWithPeer();
    backend.store(PEER.id, ME.id, "two");
    backend.failNext("fetchHistory");
    expect(await client.resync()).toBe(false);
    expect(contents(client)).toEqual(["one"]);
    socket.down();
    socket.up();
    await settle();
    expect(contents(client)).toEqual(["one", "two"]);
    expect(await client.resync()).toBe(true);
  });

  it("when catch-ups are asked for while one runs, then they run one at a time and end complete", async () => {
    const { client, backend } = await openWithPeer();
    backend.store(PEER.id, ME.id, "two");
    const results = await Promise.all([client.resync(), client.resync(), client.resync()]);
    expect(results).toEqual([true, true, true]);
    expect(contents(client)).toEqual(["one", "two"]);
  });
});
