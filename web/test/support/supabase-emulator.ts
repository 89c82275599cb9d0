import { createHash, randomBytes, randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from "jose";
import { http, HttpResponse } from "msw";
import type { SqlClient } from "@/server/store/sql/client";

/**
 * Supabase's HTTP API at its documented paths, for msw: Auth (/auth/v1: otp, verify, token,
 * user, logout, JWKS) and PostgREST's RPC (/rest/v1/rpc/<fn>). RPCs run the schema's real
 * functions on a real (embedded) Postgres as the JWT's user, so row level security applies.
 */
export async function createSupabaseEmulator({ url, db }: { url: string; db: SqlClient }) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "emulator-key-1", alg: "ES256", use: "sig" };
  const jwks = createLocalJWKSet({ keys: [jwk] });
  const issuer = `${url}/auth/v1`;

  const state = {
    accessTokenTtlSeconds: 3600,
    outbox: [] as { email: string; tokenHash: string; redirectTo: string | null; codeChallenge: string | null }[],
    otpRequests: [] as { email: string; forwardedFor: string | null }[],
    refreshes: 0,
  };
  const tokenHashes = new Map<string, { email: string; expiresAt: number; used: boolean; codeChallenge: string | null }>();
  const refreshTokens = new Map<string, { userId: string; email: string; sessionId: string }>();
  const authCodes = new Map<string, { userId: string; email: string; codeChallenge: string }>();

  // Like a project's legacy service_role key: a JWT whose role bypasses row level security.
  const serviceRoleKey = await new SignJWT({ role: "service_role" })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid!, typ: "JWT" })
    .setIssuer("supabase")
    .setIssuedAt()
    .sign(privateKey);

  const authError = (status: number, code: string, msg: string) => HttpResponse.json({ code: status, error_code: code, msg }, { status });

  async function upsertUser(email: string): Promise<string> {
    const [row] = await db.query<{ id: string }>(
      `insert into auth.users (email, last_sign_in_at) values ($1, now())
       on conflict (email) do update set last_sign_in_at = now() returning id`,
      [email],
    );
    return row!.id;
  }

  async function session(userId: string, email: string, sessionId: string = randomUUID()) {
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + state.accessTokenTtlSeconds;
    const accessToken = await new SignJWT({ email, role: "authenticated", session_id: sessionId, is_anonymous: false, aal: "aal1" })
      .setProtectedHeader({ alg: "ES256", kid: jwk.kid!, typ: "JWT" })
      .setSubject(userId)
      .setAudience("authenticated")
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(privateKey);
    const refreshToken = randomBytes(16).toString("hex");
    refreshTokens.set(refreshToken, { userId, email, sessionId });
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: state.accessTokenTtlSeconds,
      expires_at: expiresAt,
      refresh_token: refreshToken,
      user: userJson(userId, email),
    };
  }

  const userJson = (id: string, email: string) => ({
    id,
    aud: "authenticated",
    role: "authenticated",
    email,
    email_confirmed_at: new Date().toISOString(),
    app_metadata: { provider: "email", providers: ["email"] },
    user_metadata: {},
    identities: [],
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
  });

  async function bearerClaims(request: Request) {
    const token = request.headers.get("authorization")?.replace(/^Bearer /, "");
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: "authenticated" });
      return payload;
    } catch {
      return null;
    }
  }

  const handlers = [
    http.get(`${url}/auth/v1/.well-known/jwks.json`, () => HttpResponse.json({ keys: [jwk] })),

    http.post(`${url}/auth/v1/otp`, async ({ request }) => {
      const body = (await request.json()) as { email?: string; code_challenge?: string | null };
      if (!body.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email)) {
        return authError(400, "email_address_invalid", "Email address is invalid");
      }
      const tokenHash = randomBytes(20).toString("hex");
      const email = body.email.toLowerCase();
      tokenHashes.set(tokenHash, { email, expiresAt: Date.now() + 3_600_000, used: false, codeChallenge: body.code_challenge ?? null });
      state.outbox.push({
        email,
        tokenHash,
        redirectTo: new URL(request.url).searchParams.get("redirect_to"),
        codeChallenge: body.code_challenge ?? null,
      });
      state.otpRequests.push({ email, forwardedFor: request.headers.get("sb-forwarded-for") });
      return HttpResponse.json({});
    }),

    http.post(`${url}/auth/v1/verify`, async ({ request }) => {
      const body = (await request.json()) as { token_hash?: string; type?: string };
      const entry = body.token_hash ? tokenHashes.get(body.token_hash) : undefined;
      if (!entry || entry.used || entry.expiresAt < Date.now()) {
        return authError(403, "otp_expired", "Email link is invalid or has expired");
      }
      entry.used = true;
      const userId = await upsertUser(entry.email);
      return HttpResponse.json(await session(userId, entry.email));
    }),

    http.post(`${url}/auth/v1/token`, async ({ request }) => {
      const grantType = new URL(request.url).searchParams.get("grant_type");
      const body = (await request.json()) as { refresh_token?: string; auth_code?: string; code_verifier?: string };
      if (grantType === "refresh_token") {
        const entry = body.refresh_token ? refreshTokens.get(body.refresh_token) : undefined;
        if (!entry) return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
        refreshTokens.delete(body.refresh_token!);
        state.refreshes++;
        return HttpResponse.json(await session(entry.userId, entry.email, entry.sessionId));
      }
      if (grantType === "pkce") {
        const entry = body.auth_code ? authCodes.get(body.auth_code) : undefined;
        const challenge = createHash("sha256")
          .update(body.code_verifier ?? "")
          .digest("base64url");
        if (!entry || entry.codeChallenge !== challenge) {
          return authError(400, "bad_code_verifier", "code challenge does not match previously saved code verifier");
        }
        authCodes.delete(body.auth_code!);
        return HttpResponse.json(await session(entry.userId, entry.email));
      }
      return authError(400, "unsupported_grant_type", "unsupported grant type");
    }),

    http.get(`${url}/auth/v1/user`, async ({ request }) => {
      const claims = await bearerClaims(request);
      if (!claims) return authError(403, "bad_jwt", "invalid JWT");
      return HttpResponse.json(userJson(claims.sub!, String(claims.email)));
    }),

    http.post(`${url}/auth/v1/logout`, () => new HttpResponse(null, { status: 204 })),

    http.post(`${url}/rest/v1/rpc/:fn`, async ({ request, params }) => {
      // The service role key: PostgREST runs the call as role service_role (no user).
      if (request.headers.get("authorization") === `Bearer ${serviceRoleKey}`) {
        const fn = String(params.fn);
        if (!/^[a-z_]+$/.test(fn)) return HttpResponse.json({ code: "PGRST202", message: "no such function" }, { status: 404 });
        const args = (await request.json()) as Record<string, unknown>;
        const names = Object.keys(args).filter((name) => /^[a-z_]+$/.test(name));
        const sql = `select * from public.${fn}(${names.map((name, i) => `${name} => $${i + 1}`).join(", ")})`;
        const prelude = `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`;
        try {
          const rows = await db.transaction(
            (tx) =>
              tx.query(
                sql,
                names.map((name) => args[name]),
              ),
            { prelude },
          );
          return HttpResponse.json(rows);
        } catch (error) {
          const { code, message } = error as { code?: string; message?: string };
          return HttpResponse.json({ code, message, details: null, hint: null }, { status: code === "42501" ? 403 : 500 });
        }
      }
      const claims = await bearerClaims(request);
      if (!claims || claims.role !== "authenticated") {
        return HttpResponse.json({ code: "PGRST301", message: "JWT expired or invalid", details: null, hint: null }, { status: 401 });
      }
      const fn = String(params.fn);
      if (!/^[a-z_]+$/.test(fn)) return HttpResponse.json({ code: "PGRST202", message: "no such function" }, { status: 404 });
      const args = (await request.json()) as Record<string, unknown>;
      const names = Object.keys(args).filter((name) => /^[a-z_]+$/.test(name));
      const sql = `select * from public.${fn}(${names.map((name, i) => `${name} => $${i + 1}`).join(", ")})`;
      try {
        // As PostgREST: role authenticated and the whole JWT payload in request.jwt.claims.
        const literal = JSON.stringify(claims).replace(/'/g, "''");
        const prelude = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${literal}', true)`;
        const rows = await db.transaction(
          (tx) =>
            tx.query(
              sql,
              names.map((name) => args[name]),
            ),
          { prelude },
        );
        return HttpResponse.json(rows);
      } catch (error) {
        // PostgREST's mapping: SQLSTATE PTxyz answers HTTP xyz; DETAIL and HINT go to the body.
        const { code, message, detail, hint } = error as { code?: string; message?: string; detail?: string; hint?: string };
        const status = /^PT\d{3}$/.test(code ?? "")
          ? Number(code!.slice(2))
          : code === "42501"
            ? 403
            : code === "23503" || code === "23505"
              ? 409
              : code?.startsWith("22") || code?.startsWith("23")
                ? 400
                : 500;
        return HttpResponse.json({ code, message, details: detail ?? null, hint: hint ?? null }, { status });
      }
    }),
  ];

  return {
    handlers,
    state,
    serviceRoleKey,
    /** The verified claims of a request's user JWT (null: none, or invalid), for other emulated services. */
    bearerClaims,
    /** What Supabase does when the user clicks a PKCE magic link: a one-time code for the redirect. */
    async issueAuthCode(email: string): Promise<string> {
      const mail = [...state.outbox].reverse().find((m) => m.email === email);
      if (!mail?.codeChallenge) throw new Error(`no PKCE link was requested for ${email}`);
      const code = randomUUID();
      authCodes.set(code, { userId: await upsertUser(email), email, codeChallenge: mail.codeChallenge });
      return code;
    },
    latestTokenHash(email: string): string {
      const mail = [...state.outbox].reverse().find((m) => m.email === email);
      if (!mail) throw new Error(`no mail for ${email}`);
      return mail.tokenHash;
    },
  };
}
