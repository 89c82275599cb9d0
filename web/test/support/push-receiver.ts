import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { pushBodySchema, type Push } from "socket-server/contract";

/**
 * A stand-in socket server endpoint that verifies signatures with the `standardwebhooks`
 * package and records the pushes. It takes single bodies and the batch bodies of the contract
 * (README → Socket server), dedupes by item id, and answers as the socket server does.
 * IMPORTANT: every body is parsed with the contract's schema, as the socket server does, and
 * refused 422 (kept in `invalid`) when it does not fit: a push that drifted fails the test.
 */
export async function startPushReceiver(secret: string, status = () => 202) {
  const received: { id: string; push: Push }[] = [];
  /** Every accepted request: its webhook-id and how many items it carried (1 for a single push). */
  const bodies: { webhookId: string; items: number; bytes: number }[] = [];
  /** Signed bodies the contract refused, with zod's issues. */
  const invalid: { body: string; issues: unknown }[] = [];
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let verified: unknown;
      try {
        verified = new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        res.writeHead(401).end();
        return;
      }
      const result = pushBodySchema.safeParse(verified);
      if (!result.success) {
        invalid.push({ body, issues: result.error.issues });
        res
          .writeHead(422, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "invalid_payload", message: "Not a push" } }));
        return;
      }
      const parsed = result.data;
      const code = status();
      if (code >= 300) {
        res.writeHead(code).end();
        return;
      }
      const webhookId = String(req.headers["webhook-id"]);
      const items =
        parsed.type === "batch"
          ? parsed.data.map(({ id, ...push }): { id: string; push: Push } => ({ id, push }))
          : [{ id: webhookId, push: parsed }];
      bodies.push({ webhookId, items: items.length, bytes: Buffer.byteLength(body) });
      let duplicates = 0;
      for (const item of items) {
        if (seen.has(item.id)) duplicates++;
        else {
          seen.add(item.id);
          received.push(item);
        }
      }
      res.setHeader("content-type", "application/json");
      if (parsed.type === "batch") res.writeHead(202).end(JSON.stringify({ data: { delivered: items.length - duplicates, duplicates } }));
      else if (duplicates) res.writeHead(200).end(JSON.stringify({ data: { duplicate: true } }));
      else res.writeHead(code).end(JSON.stringify({ data: { delivered: true } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    bodies,
    invalid,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
