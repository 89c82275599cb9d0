import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getServices } from "@/server/context";
import { startTestApp } from "./support/app-env";
import { waitFor } from "./support/push-receiver";
import { call, signIn } from "./support/routes";

// The outbox through the route handlers in embedded mode: sign-out pushes recorded with the
// session's revocation, and the cron route's bearer check.
const CRON_SECRET = "cron-secret-for-the-routes-test";
let app: Awaited<ReturnType<typeof startTestApp>>;

beforeAll(async () => {
  process.env.CRON_SECRET = CRON_SECRET;
  app = await startTestApp();
});
afterAll(() => app.stop());

describe("push outbox routes (embedded)", () => {
  it("when a user signs out, then the session.revoked push is written with the revocation and sent", async () => {
    const { cookie, userId } = await signIn(`out-${randomUUID()}@example.com`);
    const { local } = await getServices();
    const [session] = await local!.db.query<{ id: string }>("select id from embedded_auth.sessions where user_id = $1", [userId]);
    expect((await call("POST", "/api/auth/logout", { cookie })).status).toBe(200);
    const pushed = await waitFor(() =>
      app.receiver.received.find((r) => r.push.type === "session.revoked" && r.push.data.userId === userId),
    );
    expect(pushed).toEqual({
      id: `revoke_${userId}_${session!.id}`,
      push: { type: "session.revoked", data: { userId, sessionId: session!.id } },
    });
  });

  it("when the cron route is called without the secret, then 401; with it, 200 and what the sweep sent", async () => {
    expect((await call("GET", "/api/cron/push-outbox")).body.error.code).toBe("unauthorized");
    const wrong = await call("GET", "/api/cron/push-outbox", { headers: { authorization: `Bearer ${"x".repeat(CRON_SECRET.length)}` } });
    expect(wrong.status).toBe(401);
    const swept = await call("GET", "/api/cron/push-outbox", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(swept.status).toBe(200);
    expect(swept.body.data).toMatchObject({ swept: true, delivered: expect.any(Number), expired: 0 });
  });
});
