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

const server = http.createServer((request, response) => {
  const index = next;
  next = (next + 1) % targets.length;
  const target = targets[index]!;
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: request.headers,
      agent: agents[index],
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on("error", (error) => {
    if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
    response.end(`proxy: ${error.message}`);
  });
  request.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  console.log(`round-robin proxy on http://127.0.0.1:${address.port} → ${targets.map((target) => target.host).join(", ")}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
