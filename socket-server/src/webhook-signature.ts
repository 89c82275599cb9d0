import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/) with `node:crypto`:
 * `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
 * entries, keyed by the base64 part of a `whsec_` secret. The `standardwebhooks` package
 * stays in the tests as the conformance reference (its signatures verify here and ours there).
 */

const SECRET_PREFIX = "whsec_";
/** A push is accepted while its timestamp is within this of our clock, either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;
const SIGNATURE_BYTES = 32;
// The package's parseInt would accept "123abc"; only plain seconds are valid.
const TIMESTAMP_PATTERN = /^\d{1,15}$/;

/** The HMAC key of a `whsec_<base64>` secret. @throws on anything else. */
export function webhookKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("webhook secrets start with whsec_");
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  if (key.length === 0) throw new Error("webhook secret has an empty key");
  return key;
}

/** `v1,<base64>` for `body` (the exact bytes sent) as Standard Webhooks signs it. */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  return `v1,${computeMac(key, id, String(timestampSeconds), body).toString("base64")}`;
}

function computeMac(key: Buffer, id: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** Why a signature failed; for logs and the 401 message, never a secret. */
export type SignatureFailure =
  "malformed webhook-timestamp" | "message timestamp too old" | "message timestamp too new" | "no matching signature";

/**
 * Checks `webhook-signature` for `body` against every key (rotation: any may match), after
 * the timestamp window. Returns null when it verifies, else the reason. Constant-time per
 * comparison; the work is one HMAC per key, whatever the header holds.
 */
export function verifyWebhook(
  keys: readonly Buffer[],
  id: string,
  timestamp: string,
  signatureHeader: string,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureFailure | null {
  if (!TIMESTAMP_PATTERN.test(timestamp)) return "malformed webhook-timestamp";
  const seconds = Number(timestamp);
  if (seconds < nowSeconds - TIMESTAMP_TOLERANCE_SECONDS) return "message timestamp too old";
  if (seconds > nowSeconds + TIMESTAMP_TOLERANCE_SECONDS) return "message timestamp too new";

  const candidates = parseSignatures(signatureHeader);
  if (candidates.length === 0) return "no matching signature";
  for (const key of keys) {
    const expected = computeMac(key, id, timestamp, body);
    for (const candidate of candidates) {
      if (timingSafeEqual(candidate, expected)) return null;
    }
  }
  return "no matching signature";
}

/** The `v1` signatures of a header, decoded; other versions and malformed entries are skipped. */
function parseSignatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(" ")) {
    if (!entry.startsWith("v1,")) continue;
    const decoded = Buffer.from(entry.slice(3), "base64");
    // timingSafeEqual needs equal lengths; anything else cannot match.
    if (decoded.length === SIGNATURE_BYTES) signatures.push(decoded);
  }
  return signatures;
}
