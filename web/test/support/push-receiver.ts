import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { Push } from "socket-server/events";

type BatchBody = { type: "batch"; data: { id: string; type: Push["type"]; data: Push["data"] }[] };

/**
 * A stand-in socket server endpoint that verifies signatures with the `standardwebhooks`
 * package and records the pushes. It takes single bodies and the batch bodies of the contract
 * (README → Socket server), dedupes by item id, and answers as the socket server does.
 */
export async function startPushReceiver(secret: string, status = () => 202) {
  const received: { id: string; push: Push }[] = [];
  /** Every accepted request: its webhook-id and how many items it carried (1 for a single push). */
  const bodies: { webhookId: string; items: number; bytes: number }[] = [];
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let parsed: Push | BatchBody;
      try {
        parsed = new Webhook(secret).verify(body, req.headers as Record<string, string>) as Push | BatchBody;
      } catch {
        res.writeHead(401).end();
        return;
      }
      const code = status();
      if (code >= 300) {
        res.writeHead(code).end();
        return;
      }
      const webhookId = String(req.headers["webhook-id"]);
      const items =
        parsed.type === "batch"
          ? parsed.data.map(({ id, type, data }) => ({ id, push: { type, data } as Push }))
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
