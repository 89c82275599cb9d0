import path from "node:path";
import { BENCH_DIR, sourceRoot } from "./paths.js";
import { findFreePort } from "./ports.js";
import { startProcess, waitForHttp, type ManagedProcess } from "./processes.js";

export type SocketServerKind = "socket-server" | "bare";

export interface StartedSocketServer {
  kind: SocketServerKind;
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface StartSocketServerOptions {
  kind: SocketServerKind;
  jwtSecret: string;
  webhookSecret: string;
  /** Browser origins allowed (the real server refuses others). */
  webOrigin?: string;
  /** Preload bench/lib/heap-probe.ts with --expose-gc and an IPC channel. */
  heapProbe?: boolean;
  cpuProf?: boolean;
}

/**
 * Starts the real socket server (`node --import tsx socket-server/src/index.ts`) or the bare
 * Socket.IO baseline (bench/baseline/bare-socket-server.ts) on a free port, and waits for /healthz.
 */
export async function startSocketServer({
  kind,
  jwtSecret,
  webhookSecret,
  webOrigin,
  heapProbe = false,
  cpuProf = false,
}: StartSocketServerOptions): Promise<StartedSocketServer> {
  const port = await findFreePort();
  const entry =
    kind === "socket-server"
      ? path.join(sourceRoot(), "socket-server", "src", "index.ts")
      : path.join(BENCH_DIR, "baseline", "bare-socket-server.ts");
  const nodeFlags = heapProbe
    ? ["--expose-gc", "--import", "tsx", "--import", path.join(BENCH_DIR, "lib", "heap-probe.ts")]
    : ["--import", "tsx"];
  const server = startProcess({
    name: kind,
    args: [entry],
    nodeFlags,
    cpuProf,
    ipc: heapProbe,
    env: {
      NODE_ENV: "production",
      SOCKET_PORT: String(port),
      SOCKET_HOST: "127.0.0.1",
      AUTH_JWT_SECRET: jwtSecret,
      WEBHOOK_SECRET: webhookSecret,
      // Required in production; the bench never scrapes.
      METRICS_TOKEN: "bench-metrics-token-not-scraped",
      WEB_ORIGIN: webOrigin,
      LOG_LEVEL: "warn",
      LOG_PRETTY: "0",
      REDIS_URL: "",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, server);
  return { kind, url, process: server, stop: () => server.stop() };
}

let nextProbeId = 1;

export interface HeapSample {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Asks a server started with `heapProbe` for its heap after a forced GC. */
export function sampleHeap(server: ManagedProcess, timeoutMs = 30_000): Promise<HeapSample> {
  const id = nextProbeId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.child.off("message", onMessage);
      reject(new Error(`${server.name} did not answer the heap probe`));
    }, timeoutMs);
    const onMessage = (message: HeapSample & { type?: string; id?: number }) => {
      if (message?.type !== "bench:memory" || message.id !== id) return;
      clearTimeout(timer);
      server.child.off("message", onMessage);
      resolve({ heapUsed: message.heapUsed, heapTotal: message.heapTotal, external: message.external, arrayBuffers: message.arrayBuffers });
    };
    server.child.on("message", onMessage);
    server.child.send({ type: "bench:memory", id });
  });
}
