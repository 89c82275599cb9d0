import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, signIn } from "./support/routes";
import { startTestApp, TEST_JWT_SECRET } from "./support/app-env";

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

async function latestLink(email: string): Promise<URL> {
  const mail = await call("GET", `/api/dev/mailbox?email=${encodeURIComponent(email)}`);
  return new URL(mail.body.data[0].link);
}

const formFrom = (link: URL) => ({
  token_hash: link.searchParams.get("token_hash")!,
  type: link.searchParams.get("type")!,
  next: link.searchParams.get("next")!,
});

describe("POST /api/auth/login", () => {
  it("when the email is valid, then it answers sent and the dev mailbox holds a confirm link", async () => {
    const res = await call("POST", "/api/auth/login", { json: { email: "  New.User@Example.com ", next: "/chat" } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { sent: true } });
    const mail = await call("GET", "/api/dev/mailbox?email=new.user@example.com");
    expect(mail.body.data[0]).toMatchObject({ to: "new.user@example.com", subject: expect.any(String) });
    const link = new URL(mail.body.data[0].link);
    expect(link.origin + link.pathname).toBe("http://localhost:3000/auth/confirm");
    expect(link.searchParams.get("type")).toBe("magiclink");
    expect(link.searchParams.get("next")).toBe("/chat");
    expect(link.searchParams.get("token_hash")).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  });

  it.each([["not-an-email"], [""], ["a@b"], [42], [null]])("when the email is %j, then 400 invalid_email", async (email) => {
    const res = await call("POST", "/api/auth/login", { json: { email } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_email");
  });

  it("when the body is not JSON, then 400 invalid_json; when not declared JSON, then 415", async () => {
    const bad = await call("POST", "/api/auth/login", { body: "{", headers: { "content-type": "application/json" } });
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_json"]);
    const plain = await call("POST", "/api/auth/login", { body: '{"email":"a@example.com"}', headers: { "content-type": "text/plain" } });
    expect([plain.status, plain.body.error.code]).toEqual([415, "unsupported_media_type"]);
  });

  it.each([["//evil.example"], ["https://evil.example/chat"], ["/\\evil.example"], ["javascript:alert(1)"], ["/%0a/evil"]])(
    "when next is %j, then the link falls back to /chat or stays same-site",
    async (next) => {
      await call("POST", "/api/auth/login", { json: { email: "redirect@example.com", next } });
      const target = (await latestLink("redirect@example.com")).searchParams.get("next")!;
      expect(target.startsWith("/")).toBe(true);
      expect(new URL(target, "http://localhost:3000").origin).toBe("http://localhost:3000");
    },
  );
});

describe("/auth/confirm", () => {
  it("when the link is opened (GET), then a Continue form is shown and the token stays usable", async () => {
    await call("POST", "/api/auth/login", { json: { email: "scanner@example.com" } });
    const link = await latestLink("scanner@example.com");
    const page = await call("GET", `${link.pathname}${link.search}`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain('<form method="post" action="/auth/confirm"');
    expect(page.text).toContain("Continue");
    const again = await call("GET", `${link.pathname}${link.search}`);
    expect(again.status).toBe(200);
    const confirmed = await call("POST", "/auth/confirm", { form: formFrom(link) });
    expect(confirmed.status).toBe(303);
  });

  it("when confirmed, then a secure-by-default session cookie is set and the redirect goes to next", async () => {
    await call("POST", "/api/auth/login", { json: { email: "cookie@example.com", next: "/chat?with=someone" } });
    const confirmed = await call("POST", "/auth/confirm", { form: formFrom(await latestLink("cookie@example.com")) });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("/chat?with=someone");
    const cookie = confirmed.headers.get("set-cookie")!;
    expect(cookie).toMatch(/^chat_session=[^;]+;/);
    expect(cookie.toLowerCase()).toContain("httponly");
    expect(cookie.toLowerCase()).toContain("samesite=lax");
  });

  it("when a link is used twice, then the second time shows an expired page linking back to /login", async () => {
    await call("POST", "/api/auth/login", { json: { email: "twice@example.com" } });
    const form = formFrom(await latestLink("twice@example.com"));
    expect((await call("POST", "/auth/confirm", { form })).status).toBe(303);
    const second = await call("POST", "/auth/confirm", { form });
    expect(second.status).toBe(403);
    expect(second.headers.get("set-cookie")).toBeNull();
    expect(second.text).toContain('href="/login"');
  });

  it("when the token is unknown or the form incomplete, then a clear error page and no session", async () => {
    const forged = await call("POST", "/auth/confirm", { form: { token_hash: "forged", type: "magiclink", next: "/chat" } });
    expect(forged.status).toBe(403);
    const incomplete = await call("POST", "/auth/confirm", { form: { type: "magiclink" } });
    expect(incomplete.status).toBe(400);
    expect(incomplete.text).toContain('href="/login"');
    const getIncomplete = await call("GET", "/auth/confirm?type=magiclink");
    expect(getIncomplete.status).toBe(400);
  });

  it("when a new link is asked for, then the earlier unused one no longer works and the new one does", async () => {
    await call("POST", "/api/auth/login", { json: { email: "two-links@example.com" } });
    const first = formFrom(await latestLink("two-links@example.com"));
    await call("POST", "/api/auth/login", { json: { email: "two-links@example.com" } });
    const second = formFrom(await latestLink("two-links@example.com"));
    expect(second.token_hash).not.toBe(first.token_hash);

    const old = await call("POST", "/auth/confirm", { form: first });
    expect(old.status).toBe(403);
    expect(old.headers.get("set-cookie")).toBeNull();
    expect((await call("POST", "/auth/confirm", { form: second })).status).toBe(303);
  });

  it("when the confirm form is over 8 KiB, declared or chunked, then 413 and no session", async () => {
    await call("POST", "/api/auth/login", { json: { email: "big-form@example.com" } });
    const form = formFrom(await latestLink("big-form@example.com"));
    const big = await call("POST", "/auth/confirm", { form: { ...form, next: `/chat?${"x".repeat(9000)}` } });
    expect(big.status).toBe(413);
    expect(big.headers.get("set-cookie")).toBeNull();
    // The same link still works: nothing was used up.
    expect((await call("POST", "/auth/confirm", { form })).status).toBe(303);
  });

  it("when the confirm form is not urlencoded, then a clear error page and no session", async () => {
    const res = await call("POST", "/auth/confirm", { body: "token_hash=x", headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(400);
    expect(res.text).toContain('href="/login"');
  });

  it("when next is an absolute URL in the form, then the redirect stays on this site", async () => {
    await call("POST", "/api/auth/login", { json: { email: "evil-next@example.com" } });
    const form = { ...formFrom(await latestLink("evil-next@example.com")), next: "//evil.example/x" };
    const confirmed = await call("POST", "/auth/confirm", { form });
    expect(confirmed.headers.get("location")).toBe("/chat");
  });
});

describe("session", () => {
  it("when signed in, then the session carries a Supabase-shaped JWT for the socket server", async () => {
    const { cookie, userId } = await signIn("jwt@example.com");
    const res = await call("GET", "/api/auth/session", { cookie });
    expect(res.status).toBe(200);
    expect(res.body.data.user).toEqual({ id: userId, email: "jwt@example.com" });
    const { payload } = await jwtVerify(res.body.data.accessToken, new TextEncoder().encode(TEST_JWT_SECRET), {
      audience: "authenticated",
    });
    expect(payload).toMatchObject({ sub: userId, email: "jwt@example.com", role: "authenticated", aud: "authenticated" });
    expect(payload.session_id).toEqual(expect.any(String));
    expect(new Date(res.body.data.expiresAt).getTime()).toBe(payload.exp! * 1000);
    expect(payload.exp! - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(900);
  });

  it("when a user signs in twice, then it is the same account", async () => {
    const first = await signIn("again@example.com");
    const second = await signIn("AGAIN@example.com");
    expect(second.userId).toBe(first.userId);
  });

  it("when there is no or a forged cookie, then 401", async () => {
    expect((await call("GET", "/api/auth/session")).status).toBe(401);
    const forged = await call("GET", "/api/auth/session", { cookie: "chat_session=forged" });
    expect([forged.status, forged.body.error.code]).toEqual([401, "unauthorized"]);
  });

  it("when the user logs out, then the cookie is cleared and the old cookie no longer works", async () => {
    const { cookie } = await signIn("logout@example.com");
    const out = await call("POST", "/api/auth/logout", { cookie });
    expect(out.status).toBe(200);
    expect(out.headers.get("set-cookie")).toMatch(/chat_session=;/);
    expect((await call("GET", "/api/auth/session", { cookie })).status).toBe(401);
  });
});

describe("/auth/callback", () => {
  it("when the provider sends an error_description, then the page shows only our fixed text", async () => {
    const injected = "Your account is locked. Call +1-555-0100 at evil.example";
    const res = await call(
      "GET",
      `/auth/callback?error=access_denied&error_code=otp_expired&error_description=${encodeURIComponent(injected)}`,
    );
    expect(res.status).toBe(400);
    expect(res.text).not.toContain("evil.example");
    expect(res.text).not.toContain("locked");
    expect(res.text).toContain("This sign-in link has expired or has already been used.");
  });

  it("when the code is missing, then the page says the link is incomplete", async () => {
    const res = await call("GET", "/auth/callback?error_description=%3Cb%3Ezq-injected%3C%2Fb%3E");
    expect(res.status).toBe(400);
    expect(res.text).not.toContain("zq-injected");
    expect(res.text).toContain("The sign-in link is incomplete.");
  });
});

describe("the dev mailbox", () => {
  it("when asked from another machine, then 404 as if it did not exist, also behind a local proxy", async () => {
    await call("POST", "/api/auth/login", { json: { email: "remote-mailbox@example.com" } });
    const remote = await call("GET", "/api/dev/mailbox?email=remote-mailbox@example.com", { peer: "192.0.2.50" });
    expect([remote.status, remote.body.error.code]).toEqual([404, "not_found"]);
    const proxied = await call("GET", "/api/dev/mailbox?email=remote-mailbox@example.com", {
      headers: { "x-forwarded-for": "192.0.2.50" },
    });
    expect(proxied.status).toBe(404);
    const local = await call("GET", "/api/dev/mailbox?email=remote-mailbox@example.com");
    expect([local.status, local.body.data.length]).toEqual([200, 1]);
  });
});
