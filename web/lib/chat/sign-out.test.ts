import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/client/api";
import { buildClient, PEER, settle } from "./test-support";

async function withUnsent() {
  const harness = buildClient();
  harness.socket.up();
  await harness.client.openConversation(PEER);
  return harness;
}

describe("sign-out", () => {
  it("when nothing is unsent, then it signs out and leaves for the sign-in page without asking", async () => {
    const { client, backend, page } = buildClient();
    await client.signOut();
    expect(backend.callsOf("signOut")).toHaveLength(1);
    expect(page.questions).toEqual([]);
    expect(page.left).toEqual(["/login"]);
  });

  it("when messages are unsent and the user declines, then nothing happens; when they accept, the outbox is emptied", async () => {
    const { client, backend, page } = await withUnsent();
    const outbox = client.outbox()!;
    outbox.dispose(); // a stopped outbox sends nothing: the item stays queued, as while offline
    outbox.add({ recipientId: PEER.id, content: "unsent" });
    page.confirmAnswer = false;
    await client.signOut();
    expect(page.questions).toEqual(["1 message has not been sent yet and will be deleted. Sign out anyway?"]);
    expect(backend.callsOf("signOut")).toHaveLength(0);
    expect(page.left).toEqual([]);

    page.confirmAnswer = true;
    await client.signOut();
    expect(page.left).toEqual(["/login"]);
    expect(outbox.items()).toEqual([]);
  });

  it("when the server cannot sign out, then a notice says so and the user stays", async () => {
    const { client, backend, page } = buildClient();
    backend.failNext("signOut", new ApiError(503, "unavailable", "Try again soon."));
    await client.signOut();
    expect(client.getState().notice).toBe("Could not sign out: Try again soon.");
    expect(page.left).toEqual([]);
    client.dismissNotice();
    expect(client.getState().notice).toBeNull();
  });

  it("when the session is signed out elsewhere, then the page leaves for sign-in; when it expired, it stays with the state ended", async () => {
    const signedOut = buildClient();
    signedOut.socket.up();
    signedOut.socket.endSession("signed_out");
    expect(signedOut.page.left).toEqual(["/login"]);
    expect(signedOut.client.getState().sessionEnded).toBe(true);

    const expired = buildClient();
    expired.socket.up();
    expired.socket.endSession("expired");
    await settle();
    expect(expired.page.left).toEqual([]);
    expect(expired.client.getState()).toMatchObject({ sessionEnded: true, connection: "signed-out" });
  });

  it("when an API call answers 401, then the session counts as ended", async () => {
    const { client, backend, socket } = buildClient();
    socket.up();
    await settle();
    backend.failNext("fetchHistory", new ApiError(401, "unauthorized", "Sign in."));
    await client.openConversation(PEER);
    expect(client.getState().sessionEnded).toBe(true);
  });
});
