import { describe, expect, it } from "vitest";
import { jumpToMessage } from "./message-jump";
import { buildClient, ME, PEER, settle } from "./test-support";

async function conversationOf(count: number) {
  const harness = buildClient();
  const messages = Array.from({ length: count }, (_, i) =>
    harness.backend.store(i % 2 ? ME.id : PEER.id, i % 2 ? PEER.id : ME.id, `m${i}`),
  );
  harness.socket.up();
  await settle();
  return { ...harness, messages };
}

describe("jumpToMessage", () => {
  it("when the message is pages back, then older pages load until it and a few before it are held, contiguous to the newest", async () => {
    const { client, backend, messages } = await conversationOf(130);
    const target = messages[20]!;
    expect(await jumpToMessage(client, target)).toBe(true);
    const held = client.getState().view!.messages;
    expect(held.map((m) => m.id)).toContain(target.id);
    expect(held.findIndex((m) => m.id === target.id)).toBeGreaterThanOrEqual(5);
    expect(held.at(-1)!.id).toBe(messages.at(-1)!.id);
    expect(held.map((m) => m.seq)).toEqual(held.map((_, i) => held[0]!.seq + i));
    expect(backend.callsOf("fetchHistory").filter((query) => (query as { before?: string }).before)).toHaveLength(2);
  });

  it("when the message is in the latest page, then nothing older is loaded", async () => {
    const { client, backend, messages } = await conversationOf(60);
    expect(await jumpToMessage(client, messages[55]!)).toBe(true);
    expect(backend.callsOf("fetchHistory").filter((query) => (query as { before?: string }).before)).toHaveLength(0);
  });

  it("when the conversation is not one of the listed ones, then it answers false", async () => {
    const { client } = await conversationOf(3);
    expect(await jumpToMessage(client, { id: crypto.randomUUID(), conversationId: crypto.randomUUID(), seq: 1 })).toBe(false);
  });
});
