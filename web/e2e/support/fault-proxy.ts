import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What can go wrong with a request that passes the proxy. Probabilities are 0–1. */
export interface FaultProfile {
  /** Answered 503 (Retry-After: 1) without reaching the target. */
  fail: number;
  /** Connection cut before the request reaches the target. */
  dropBefore: number;
  /** The request reaches the target, but its answer is cut: the caller cannot know it worked. */
  dropAfter: number;
  /** Held for up to `maxDelayMs` before it is forwarded. */
  delay: number;
  maxDelayMs: number;
}

export interface FaultStats {
  requests: number;
  /** Requests the faults applied to (matched the filter while faults were on). */
  eligible: number;
  failed: number;
  droppedBefore: number;
  droppedAfter: number;
  delayed: number;
  /** Forwarded, but the target could not be reached (e.g. the socket server was down): 502. */
  targetDown: number;
}

export interface FaultProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  stats: FaultStats;
  /** Turns faults on (a profile) or off (null). */
  setFaults(profile: FaultProfile | null): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Base URL requests are forwarded to. */
  target: string;
  faults?: FaultProfile | null;
  /** Only requests this accepts get faults; the rest pass untouched (default: all). */
  applies?(request: IncomingMessage): boolean;
  random?(): number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

// Hop-by-hop headers are the proxy's own business, never forwarded.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

function forwardHeaders(headers: IncomingMessage["headers"], host: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  }
  result.host = host;
  return result;
}

/**
 * A small HTTP proxy on 127.0.0.1 that forwards to `target` and, while faults are on, fails,
 * cuts or delays some requests at random. HTTP only (no upgrades): it sits in front of
 * webhook pushes and of simulated clients' API calls, never of WebSockets.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = options.random ?? Math.random;
  let faults = options.faults ?? null;
  const stats: FaultStats = { requests: 0, eligible: 0, failed: 0, droppedBefore: 0, droppedAfter: 0, delayed: 0, targetDown: 0 };
  const sockets = new Set<Socket>();

  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    stats.requests += 1;
    const body = await readBody(incoming);
    const profile = faults && (options.applies?.(incoming) ?? true) ? faults : null;
    let cutAnswer = false;
    if (profile) {
      stats.eligible += 1;
      const roll = random();
      if (roll < profile.fail) {
        stats.failed += 1;
        response.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        response.end(JSON.stringify({ error: { code: "unavailable", message: "Injected failure." } }));
        return;
      }
      if (roll < profile.fail + profile.dropBefore) {
        stats.droppedBefore += 1;
        incoming.socket.destroy();
        return;
      }
      cutAnswer = random() < profile.dropAfter;
      if (random() < profile.delay) {
        stats.delayed += 1;
        await sleep(random() * profile.maxDelayMs);
      }
    }

    const upstream = request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: forwardHeaders(incoming.headers, target.host),
      },
      (answer) => {
        if (cutAnswer) {
          stats.droppedAfter += 1;
          answer.resume();
          answer.once("end", () => incoming.socket.destroy());
          return;
        }
        const headers = forwardHeaders(answer.headers, target.host);
        delete headers.host;
        response.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", () => {
      stats.targetDown += 1;
      if (response.headersSent) return void response.destroy();
      response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: "bad_gateway", message: "Target unreachable." } }));
    });
    upstream.end(body);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => response.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    setFaults(profile) {
      faults = profile;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
