import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A gate between the web app and the socket server's webhook: `pass` forwards, `hold` keeps
 * each request open without forwarding or answering (the push is in flight, the socket server
 * never sees it), `refuse` cuts the connection (the socket tier is down).
 */
export type GateMode = "pass" | "hold" | "refuse";

export interface PushGate {
  url: string;
  mode: GateMode;
  /** Requests held right now. */
  readonly held: number;
  /** Requests forwarded and answered 2xx. */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function startPushGate(target: string): Promise<PushGate> {
  const targetUrl = new URL(target);
  const sockets = new Set<Socket>();
  const heldRequests = new Set<IncomingMessage>();
  let forwarded = 0;

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    if (gate.mode === "refuse") return void incoming.socket.destroy();
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      if (gate.mode === "hold") {
        // Never forwarded: when the sender dies, the connection closes and the push is gone.
        heldRequests.add(incoming);
        incoming.socket.once("close", () => heldRequests.delete(incoming));
        return;
      }
      const upstream = request(
        {
          hostname: targetUrl.hostname,
          port: targetUrl.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: targetUrl.host },
        },
        (answer) => {
          if ((answer.statusCode ?? 500) < 300) forwarded += 1;
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on("error", () => incoming.socket.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const gate: PushGate = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode: "pass",
    get held() {
      return heldRequests.size;
    },
    get forwarded() {
      return forwarded;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return gate;
}
