import { createHash, createHmac, randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { Webhook } from "standardwebhooks";

/** Fresh secrets per run; never the development defaults (production refuses them). */
export function createSecrets() {
  return {
    jwtSecret: randomBytes(32).toString("hex"),
    webhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
  };
}

/** An access token in the web app's shape (`signAccessToken`): sub, email, role/aud "authenticated", exp. */
export function signAccessToken(secret: string, user: { id: string; email: string }, ttlSeconds = 3_600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email: user.email, role: "authenticated" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setAudience("authenticated")
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");
export const newSessionToken = () => randomBytes(32).toString("base64url");

export type PushSigner = (id: string, timestampSeconds: number, body: string) => string;

/**
 * Signs pushes exactly like standardwebhooks' `Webhook#sign`. The default uses node:crypto:
 * the package's pure-JS HMAC costs ~30 µs a push, which at 10,000 pushes/s would make the
 * load generator, not the server, the bottleneck. `kind: "standardwebhooks"` uses the package.
 * Either way the output is checked against `Webhook#sign` first.
 */
export function createPushSigner(secret: string, kind: "node" | "standardwebhooks" = "node"): PushSigner {
  const webhook = new Webhook(secret);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const viaPackage: PushSigner = (id, timestampSeconds, body) => webhook.sign(id, new Date(timestampSeconds * 1000), body);
  const viaNode: PushSigner = (id, timestampSeconds, body) =>
    `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
  const probe = ["msg_probe", Math.floor(Date.now() / 1000), '{"probe":"ünïcode"}'] as const;
  if (viaNode(...probe) !== viaPackage(...probe)) throw new Error("node:crypto push signature differs from Webhook#sign");
  return kind === "node" ? viaNode : viaPackage;
}
