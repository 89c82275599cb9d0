/**
 * Baseline for the socket server: the least a push relay can do. A bare node:http server and
 * Socket.IO, no Express, no auth, no signature check, no validation, no dedupe, no metrics,
 * no logs. Sockets join `user:<userId>` from the handshake query; `POST /webhooks/messages`
 * parses the JSON body and emits `message:new` to the recipient's and sender's rooms, as the
 * real server does. Same env names as the real server so the bench starts both alike.
 */
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.env.SOCKET_PORT ?? 5003);
const host = process.env.SOCKET_HOST ?? "127.0.0.1";

const httpServer = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"data":{"ok":true}}');
    return;
  }
  if (req.method === "POST" && req.url === "/webhooks/messages") {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let message: { senderId: string; recipientId: string };
      try {
        message = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data: typeof message }).data;
      } catch {
        res.writeHead(422).end();
        return;
      }
      io.to([`user:${message.recipientId}`, `user:${message.senderId}`]).emit("message:new", message);
      res.writeHead(202, { "content-type": "application/json" }).end('{"data":{"delivered":true}}');
    });
    return;
  }
  res.writeHead(404).end();
});

const io = new Server(httpServer, { serveClient: false });
io.on("connection", (socket) => {
  const userId = socket.handshake.query.userId;
  if (typeof userId === "string") void socket.join(`user:${userId}`);
});

httpServer.listen(port, host);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
