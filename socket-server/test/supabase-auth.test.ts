import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type JWTPayload, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupabaseVerifier, UnauthorizedError, type AccessTokenVerifier } from "../src/auth.js";
import { createApp } from "../src/app.js";
import { silentLogger } from "../src/logger.js";
import { createMemorySeenIdStore } from "../src/webhook.js";
import { connectClient, WEBHOOK_SECRET } from "./helpers.js";

// A Supabase project's JWKS, served over real HTTP the way Supabase Auth serves it.
let jwksServer: http.Server;
let supabaseUrl: string;
let keys: JWK[] = [];
let jwksRequests = 0;
const LEGACY_SECRET = "legacy-supabase-jwt-secret-at-least-32-chars";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function newKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

let current: SigningKey;
let verifier: AccessTokenVerifier;

beforeAll(async () => {
  current = await newKey("key-1");
  keys = [current.jwk];
  jwksServer = http.createServer((req, res) => {
    if (req.url === "/auth/v1/.well-known/jwks.json") {
      jwksRequests++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  supabaseUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  // No refetch cooldown here, so the rotation case does not have to wait 30 s.
  verifier = createSupabaseVerifier(supabaseUrl, LEGACY_SECRET, { jwksCooldownMs: 0 });
});
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

function claims(overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: randomUUID(),
    aud: "authenticated",
    role: "authenticated",
    email: "ada@example.com",
    iss: `${supabaseUrl}/auth/v1`,
    iat: now,
    exp: now + 3600,
    ...overrides,
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return payload;
}

const signEs256 = (key: SigningKey, overrides?: JWTPayload) =>
  new SignJWT(claims(overrides)).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" }).sign(key.privateKey);
const signHs256 = (secret: string, overrides?: JWTPayload) =>
  new SignJWT(claims(overrides)).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));

describe("Supabase access tokens", () => {
  it("when a token is signed by a key from the project's JWKS, then it is accepted", async () => {
    const sub = randomUUID();
    const verified = await verifier.verifyAccessToken(await signEs256(current, { sub }));
    expect(verified.userId).toBe(sub);
    expect(verified.email).toBe("ada@example.com");
  });

  it("when the project rotates to a new key, then the JWKS is refetched for the unknown kid", async () => {
    const next = await newKey("key-2");
    keys = [current.jwk, next.jwk];
    const before = jwksRequests;
    await expect(verifier.verifyAccessToken(await signEs256(next))).resolves.toMatchObject({ email: "ada@example.com" });
    expect(jwksRequests).toBeGreaterThan(before);
  });

  it("when a legacy HS256 token is signed with SUPABASE_JWT_SECRET, then it is accepted", async () => {
    await expect(verifier.verifyAccessToken(await signHs256(LEGACY_SECRET))).resolves.toMatchObject({ email: "ada@example.com" });
  });

  const refused: [string, () => Promise<string>][] = [
    ["expired", () => signEs256(current, { exp: Math.floor(Date.now() / 1000) - 5 })],
    ["for another audience", () => signEs256(current, { aud: "other" })],
    ["an anon token", () => signEs256(current, { role: "anon", sub: undefined })],
    ["a service_role token", () => signEs256(current, { role: "service_role" })],
    ["from another issuer", () => signEs256(current, { iss: "https://other.supabase.co/auth/v1" })],
    ["signed by a key not in the JWKS", async () => signEs256(await newKey("key-1"))],
    ["HS256 with the wrong secret", () => signHs256("a-different-secret-that-is-32-chars-long!!")],
    ["alg none", async () => new UnsecuredJWT(claims()).encode()],
    ["not a JWT", async () => "garbage"],
  ];
  it.each(refused)("when the token is %s, then it is refused", async (_, token) => {
    await expect(verifier.verifyAccessToken(await token())).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("when no legacy secret is configured, then HS256 tokens are refused outright", async () => {
    const jwksOnly = createSupabaseVerifier(supabaseUrl);
    await expect(jwksOnly.verifyAccessToken(await signHs256(LEGACY_SECRET))).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it("when a browser connects with a Supabase token, then the socket server lets it in; anon is refused", async () => {
    const app = createApp({
      config: { webhookSecrets: [WEBHOOK_SECRET], webOrigins: ["http://localhost:3000"] },
      verifier,
      seenIds: createMemorySeenIdStore(),
      logger: silentLogger,
    });
    await new Promise<void>((resolve) => app.httpServer.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(app.httpServer.address() as AddressInfo).port}`;
    try {
      const socket = await connectClient(url, await signEs256(current));
      expect(socket.connected).toBe(true);
      socket.close();
      await expect(connectClient(url, await signEs256(current, { role: "anon" }))).rejects.toThrow("unauthorized");
    } finally {
      await app.close();
    }
  });
});
