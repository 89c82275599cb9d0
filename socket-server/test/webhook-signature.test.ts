import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook, webhookKey } from "../src/webhook-signature.js";
import { newWebhookSecret } from "./helpers.js";

// The standardwebhooks package is the conformance reference: its signatures verify here, ours there.
describe("Standard Webhooks signatures with node:crypto", () => {
  const secret = newWebhookSecret();
  const key = webhookKey(secret);
  const reference = new Webhook(secret);
  const now = new Date();
  const seconds = Math.floor(now.getTime() / 1000);
  const bodies = ['{"type":"message.created"}', '{"content":"ünïcödé ✓ 🎉"}', "", ' {"spaces": true } '];

  it.each(bodies)("when the reference signs %j, then ours verifies it", (body) => {
    const signature = reference.sign("msg_1", now, body);

    expect(verifyWebhook([key], "msg_1", String(seconds), signature, Buffer.from(body))).toBeNull();
  });

  it.each(bodies)("when ours signs %j, then the reference verifies it and makes the same signature", (body) => {
    const signature = signWebhook(key, "msg_2", seconds, body);
    const headers = { "webhook-id": "msg_2", "webhook-timestamp": String(seconds), "webhook-signature": signature };

    expect(() => reference.verify(body, headers, { jsonParse: false })).not.toThrow();
    expect(signature).toBe(reference.sign("msg_2", now, body));
  });

  it("when several signatures are listed, then one match among them verifies (rotation on the sender's side)", () => {
    const body = "{}";
    const other = signWebhook(randomBytes(32), "msg_3", seconds, body);
    const header = `v2,abc ${other} ${signWebhook(key, "msg_3", seconds, body)}`;

    expect(verifyWebhook([key], "msg_3", String(seconds), header, Buffer.from(body))).toBeNull();
  });

  it("when several keys are configured, then a signature by any of them verifies (rotation on ours)", () => {
    const next = webhookKey(newWebhookSecret());
    const body = "{}";

    expect(verifyWebhook([key, next], "msg_4", String(seconds), signWebhook(next, "msg_4", seconds, body), Buffer.from(body))).toBeNull();
  });

  const refused: Array<[string, () => ReturnType<typeof verifyWebhook>]> = [
    [
      "the body differs by one byte",
      () => verifyWebhook([key], "m", String(seconds), signWebhook(key, "m", seconds, "{}"), Buffer.from("{ }")),
    ],
    ["the id differs", () => verifyWebhook([key], "m2", String(seconds), signWebhook(key, "m", seconds, "{}"), Buffer.from("{}"))],
    [
      "the timestamp differs",
      () => verifyWebhook([key], "m", String(seconds - 1), signWebhook(key, "m", seconds, "{}"), Buffer.from("{}")),
    ],
    [
      "the key is another",
      () => verifyWebhook([key], "m", String(seconds), signWebhook(randomBytes(32), "m", seconds, "{}"), Buffer.from("{}")),
    ],
    [
      "the version is not v1",
      () => verifyWebhook([key], "m", String(seconds), signWebhook(key, "m", seconds, "{}").replace("v1,", "v2,"), Buffer.from("{}")),
    ],
    [
      "the signature is truncated",
      () => verifyWebhook([key], "m", String(seconds), signWebhook(key, "m", seconds, "{}").slice(0, 20), Buffer.from("{}")),
    ],
    ["the header is empty", () => verifyWebhook([key], "m", String(seconds), "", Buffer.from("{}"))],
  ];
  it.each(refused)("when %s, then it does not verify", (_case, verify) => {
    expect(verify()).toBe("no matching signature");
  });

  it("when the timestamp is more than 5 minutes off either way or not plain seconds, then it is refused before any HMAC", () => {
    const sign = (at: number) => signWebhook(key, "m", at, "{}");
    expect(verifyWebhook([key], "m", String(seconds - 301), sign(seconds - 301), Buffer.from("{}"), seconds)).toBe(
      "message timestamp too old",
    );
    expect(verifyWebhook([key], "m", String(seconds + 301), sign(seconds + 301), Buffer.from("{}"), seconds)).toBe(
      "message timestamp too new",
    );
    expect(verifyWebhook([key], "m", String(seconds - 299), sign(seconds - 299), Buffer.from("{}"), seconds)).toBeNull();
    expect(verifyWebhook([key], "m", `${seconds}abc`, sign(seconds), Buffer.from("{}"), seconds)).toBe("malformed webhook-timestamp");
  });

  it("when a secret lacks the whsec_ prefix, then it is not a key", () => {
    expect(() => webhookKey(randomBytes(32).toString("base64"))).toThrow(/whsec_/);
  });
});
