import { randomUUID } from "node:crypto";
import { SignJWT, UnsecuredJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuthErrorPayload } from "../src/contract/index.js";
import { connectClient, JWT_SECRET, signToken, startServer, type ChatClient, type TestServer } from "./helpers.js";

describe("socket auth", () => {
  let server: TestServer;
  let clients: ChatClient[] = [];

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await server.close();
  });

  async function connect(token?: string): Promise<ChatClient> {
    const socket = await connectClient(server.url, token);
    clients.push(socket);
    return socket;
  }

  const now = () => Math.floor(Date.now() / 1000);

  const badTokens: Array<[string, () => Promise<string | undefined>]> = [
    ["there is no token", async () => undefined],
    ["the token is empty", async () => ""],
    ["the token is garbage", async () => "not.a.jwt"],
    ["the token is signed with another secret", () => signToken({}, { secret: "x".repeat(32) })],
    ["the audience is not authenticated", () => signToken({ aud: "anon" })],
    ["the role is anon", () => signToken({ role: "anon" })],
    ["the role is service_role", () => signToken({ role: "service_role" })],
    ["the role is missing", () => signToken({ role: undefined })],
    ["sub is not a UUID", () => signToken({ sub: "user-1" })],
    ["the token has expired", () => signToken({ exp: now() - 10 })],
    ["the token has no exp", () => signToken({ exp: undefined })],
    [
      "the token uses alg none",
      async () => new UnsecuredJWT({ sub: randomUUID(), aud: "authenticated", role: "authenticated", exp: now() + 3600 }).encode(),
    ],
    [
      "the token uses HS512 with the right secret",
      () =>
        new SignJWT({ sub: randomUUID(), aud: "authenticated", role: "authenticated", exp: now() + 3600 })
          .setProtectedHeader({ alg: "HS512" })
          .sign(new TextEncoder().encode(JWT_SECRET)),
    ],
  ];

  it.each(badTokens)("when %s, then the connection is refused as unauthorized", async (_case, makeToken) => {
    await expect(connect(await makeToken())).rejects.toMatchObject({ message: "unauthorized" });
  });

  it("when the token is valid, then the socket connects", async () => {
    const socket = await connect(await signToken());

    expect(socket.connected).toBe(true);
  });

  it("when the token expires on a live socket, then it gets auth:error token_expired and is disconnected", async () => {
    // exp has whole-second precision: this expires 1 to 2 s from now.
    const socket = await connect(await signToken({ exp: now() + 2 }));
    const order: string[] = [];
    const authError = new Promise<AuthErrorPayload>((resolve) =>
      socket.once("auth:error", (payload) => {
        order.push("auth:error");
        resolve(payload);
      }),
    );
    const disconnected = new Promise<string>((resolve) =>
      socket.once("disconnect", (reason) => {
        order.push("disconnect");
        resolve(reason);
      }),
    );

    const [error, reason] = await Promise.all([authError, disconnected]);

    expect(error).toEqual({ code: "token_expired" });
    expect(reason).toBe("io server disconnect");
    expect(order).toEqual(["auth:error", "disconnect"]);
  });
});
