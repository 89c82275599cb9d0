/**
 * Memory per idle connection: the socket server's RSS (/proc/<pid>/status VmRSS) and V8 heap
 * (after a forced GC, read over IPC by bench/lib/heap-probe.ts) with 5,000 and 10,000
 * authenticated sockets, minus the same server with none. Baseline: the bare Socket.IO server,
 * one room per socket.
 *
 *   node --import tsx bench/memory.ts [--quick] [--levels=5000,10000] [--settle-seconds=3]
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "./lib/cli.js";
import { useSource } from "./lib/source.js";
import { readRssBytes } from "./lib/proc-stats.js";
import { runMain, sleep } from "./lib/processes.js";
import { fmt, kb, printTable, runBenchmark, type Target } from "./lib/report.js";
import { createSecrets, signAccessToken } from "./lib/secrets.js";
import { connectClients, type ClientPool } from "./lib/socket-clients.js";
import { sampleHeap, startSocketServer, type SocketServerKind, type StartedSocketServer } from "./lib/socket-servers.js";

const TARGET_RATIO = 1.5;

interface Sample {
  sockets: number;
  rss: number;
  heapUsed: number;
  external: number;
}

interface Level extends Sample {
  failed: number;
  connectSeconds: number;
  /** (sample − empty server) / sockets */
  rssPerSocket: number;
  heapPerSocket: number;
}

interface ServerRun {
  kind: SocketServerKind;
  empty: Sample;
  levels: Level[];
  /** Between the last two levels: free of one-time costs (first-connection allocations). */
  marginal: { rssPerSocket: number; heapPerSocket: number } | null;
}

export async function runMemory(argv = process.argv.slice(2)) {
  const args = parseArgs(argv);
  useSource(args.string("source"));
  const levels = args.numbers("levels", args.quick ? [1_000, 2_000] : [5_000, 10_000]);
  const settleMs = args.number("settle-seconds", 3) * 1000;

  return runBenchmark("memory", args.quick, async () => {
    const runs: ServerRun[] = [];
    for (const kind of ["socket-server", "bare"] as const) runs.push(await measure(kind, levels, settleMs));

    for (const run of runs) {
      printTable(
        `Memory per idle socket — ${run.kind} (empty server: RSS ${fmt(run.empty.rss / 2 ** 20)} MB, heap ${fmt(run.empty.heapUsed / 2 ** 20)} MB)`,
        ["sockets", "RSS MB", "heap MB", "RSS KB/socket", "heap KB/socket", "failed"],
        [
          ...run.levels.map((level) => [
            level.sockets,
            fmt(level.rss / 2 ** 20),
            fmt(level.heapUsed / 2 ** 20),
            kb(level.rssPerSocket),
            kb(level.heapPerSocket),
            level.failed,
          ]),
          ...(run.marginal ? [["marginal", "", "", kb(run.marginal.rssPerSocket), kb(run.marginal.heapPerSocket), ""]] : []),
        ],
      );
    }

    const [ours, bare] = runs as [ServerRun, ServerRun];
    const top = (run: ServerRun) => run.levels[run.levels.length - 1]!;
    const rssRatio = top(ours).rssPerSocket / top(bare).rssPerSocket;
    const heapRatio = top(ours).heapPerSocket / top(bare).heapPerSocket;
    const at = `at ${fmt(top(ours).sockets)} sockets`;
    const targets: Target[] = [
      {
        label: `RSS per idle socket ≤ ${TARGET_RATIO}× bare Socket.IO`,
        pass: rssRatio <= TARGET_RATIO,
        detail: `${fmt(rssRatio, 2)}× (${kb(top(ours).rssPerSocket)} vs ${kb(top(bare).rssPerSocket)} KB ${at})`,
      },
      {
        label: `heap per idle socket ≤ ${TARGET_RATIO}× bare Socket.IO`,
        pass: heapRatio <= TARGET_RATIO,
        detail: `${fmt(heapRatio, 2)}× (${kb(top(ours).heapPerSocket)} vs ${kb(top(bare).heapPerSocket)} KB ${at})`,
      },
    ];
    return { targets, data: { options: { levels, settleMs }, runs, rssRatio, heapRatio } };
  });
}

async function measure(kind: SocketServerKind, levels: number[], settleMs: number): Promise<ServerRun> {
  const { jwtSecret, webhookSecret } = createSecrets();
  const server = await startSocketServer({ kind, jwtSecret, webhookSecret, heapProbe: true });
  console.log(`${kind}: listening at ${server.url} (pid ${server.process.pid})`);
  await sleep(1_000);
  const empty = await sample(server, 0);
  const pools: ClientPool[] = [];
  const results: Level[] = [];
  let connected = 0;
  for (const level of levels) {
    const count = level - connected;
    const users = Array.from({ length: count }, (_, index) => ({ id: randomUUID(), email: `memory-${connected + index}@bench.test` }));
    const tokens = kind === "socket-server" ? await Promise.all(users.map((user) => signAccessToken(jwtSecret, user))) : [];
    const pool = await connectClients({
      url: server.url,
      count,
      clientOptions: (index) => (kind === "socket-server" ? { auth: { token: tokens[index] } } : { query: { userId: users[index]!.id } }),
    });
    pools.push(pool);
    connected = level;
    await sleep(settleMs);
    const measured = await sample(server, level);
    const failed = pools.reduce((sum, each) => sum + each.failed + each.disconnects(), 0);
    const live = level - failed;
    results.push({
      ...measured,
      failed,
      connectSeconds: pool.connectSeconds,
      rssPerSocket: (measured.rss - empty.rss) / live,
      heapPerSocket: (measured.heapUsed - empty.heapUsed) / live,
    });
    console.log(
      `  ${kind} ${fmt(level)} sockets: RSS ${fmt(measured.rss / 2 ** 20)} MB, heap ${fmt(measured.heapUsed / 2 ** 20)} MB (connected in ${fmt(pool.connectSeconds)} s)`,
    );
  }
  for (const pool of pools) pool.close();
  await server.stop();

  const [previous, last] = results.slice(-2);
  const marginal =
    previous && last && results.length >= 2
      ? {
          rssPerSocket: (last.rss - previous.rss) / (last.sockets - previous.sockets),
          heapPerSocket: (last.heapUsed - previous.heapUsed) / (last.sockets - previous.sockets),
        }
      : null;
  return { kind, empty, levels: results, marginal };
}

/** Heap after a forced GC, then RSS from /proc once the GC has settled. */
async function sample(server: StartedSocketServer, sockets: number): Promise<Sample> {
  const heap = await sampleHeap(server.process);
  await sleep(200);
  return { sockets, rss: readRssBytes(server.process.pid), heapUsed: heap.heapUsed, external: heap.external };
}

runMain(import.meta.url, () => runMemory());
