import { createHash, randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedAuth, SESSION_COOKIE } from "@/server/auth/embedded-auth";
import { createSessionCache, type SessionCache } from "@/server/auth/session-cache";
import type { CookieJar } from "@/server/auth/types";
import type { SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "./support/db";

// Each request builds its auth on the process's one session cache, as server/context.ts does.
describe("embedded sessions with the process's session cache", () => {
  let db: SqlClient;
  let close: () => Promise<void>;
  let at = Date.now();
  const cache: SessionCache = createSessionCache({ ttlMs: 5_000, now: () => at });

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase());
  });
  afterAll(() => close());

  async function signedIn(): Promise<{ userId: string; token: string }> {
    const userId = await createUser(db, `cache-${randomUUID()}@session-cache.test`);
    const token = randomBytes(32).toString("base64url");
    await db.query("insert into embedded_auth.sessions (user_id, token_hash, expires_at) values ($1, $2, now() + interval '1 day')", [
      userId,
      createHash("sha256").update(token).digest("hex"),
    ]);
    return { userId, token };
  }

  const requestAuth = (token: string) => {
    const cookies: CookieJar = { get: (name) => (name === SESSION_COOKIE ? token : undefined), getAll: () => [], set() {} };
    return createEmbeddedAuth({
      db,
      mailer: { async send() {} },
      cookies,
      sessionCache: cache,
      config: {
        appUrl: "http://localhost:3000",
        jwtSecret: "x".repeat(32),
        accessTokenTtlSeconds: 60,
        sessionTtlDays: 1,
        secureCookies: false,
      },
    });
  };

  it("when a user signs out, then the next request with the same cookie is signed out at once", async () => {
    const { userId, token } = await signedIn();
    expect((await requestAuth(token).getUser())?.id).toBe(userId);
    expect((await requestAuth(token).getUser())?.id).toBe(userId); // from the cache now
    expect(await requestAuth(token).signOut()).toMatchObject({ userId });
    expect(await requestAuth(token).getUser()).toBeNull();
    expect(await requestAuth(token).getAccessToken()).toBeNull();
  });

  it("when another process revokes the session, then this process refuses it once the cache's TTL has passed", async () => {
    const { userId, token } = await signedIn();
    expect((await requestAuth(token).getUser())?.id).toBe(userId);
    await db.query("update embedded_auth.sessions set revoked_at = now() where user_id = $1", [userId]);
    // The documented bound: trusted for up to the TTL…
    expect((await requestAuth(token).getUser())?.id).toBe(userId);
    at += 5_000;
    // …and not a moment longer.
    expect(await requestAuth(token).getUser()).toBeNull();
  });

  it("when a cookie matches no session, then nothing is cached and a session created later is found", async () => {
    const token = randomBytes(32).toString("base64url");
    expect(await requestAuth(token).getUser()).toBeNull();
    const userId = await createUser(db, `late-${randomUUID()}@session-cache.test`);
    await db.query("insert into embedded_auth.sessions (user_id, token_hash, expires_at) values ($1, $2, now() + interval '1 day')", [
      userId,
      createHash("sha256").update(token).digest("hex"),
    ]);
    expect((await requestAuth(token).getUser())?.id).toBe(userId);
  });
});
