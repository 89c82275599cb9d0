/**
 * Benchmark-only: a round-robin HTTP proxy (node:http, keep-alive to each backend) in front of
 * several web processes, the way a load balancer would spread requests. Not a product proxy:
 * no header rewriting beyond hop-by-hop basics, no retries.
 *
 *   node --import tsx bench/baseline/round-robin-proxy.ts --port=4000 --targets=http://127.0.0.1:4001,http://127.0.0.1:4002
 */
import http from "node:http";
import { parseArgs } from "../lib/cli.js";

const args = parseArgs();
const port = args.number("port", 0);
const targets = (args.string("targets") ?? "")
  .split(",")
  .filter(Boolean)
  .map((target) => new URL(target));
if (targets.length === 0) throw new Error("--targets=url,url is required");

const agents = targets.map(() => new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: "fifo" }));
let next = 0;

// The request body is read whole before it goes upstream: bodies here are small JSON, and a
// complete body with its length is what a load balancer hands on.
const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => forward(request, Buffer.concat(chunks), response));
});

function forward(request: http.IncomingMessage, body: Buffer, response: http.ServerResponse): void {
  const index = next;
  next = (next + 1) % targets.length;
  const target = targets[index]!;
  const headers = { ...request.headers, "content-length": String(body.length) };
  delete headers["transfer-encoding"];
  delete headers.connection;
  const upstream = http.request(
    { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, agent: agents[index] },
    (answer) => {
      const answerHeaders = { ...answer.headers };
      delete answerHeaders.connection;
      delete answerHeaders["keep-alive"];
      response.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${error.message}`);
  });
  upstream.end(body);
}
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(`round-robin proxy on http://127.0.0.1:${address.port} → ${targets.map((target) => target.host).join(", ")}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
