/**
 * Push fan-out: signed webhook pushes in, `message:new` out to one of N connected sockets.
 * The real socket server against a bare node:http + Socket.IO relay (the baseline), at stepped
 * rates; latency is push sent → message received, both measured in this process.
 *
 *   node --import tsx bench/push-fanout.ts [--quick] [--sockets=2000] [--rates=500,1000,…]
 *     [--step-seconds=5] [--connections=16] [--signer=node|standardwebhooks] [--only-server=socket-server|bare] [--cpu-prof]
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "./lib/cli.js";
import { createHttpClient } from "./lib/http-client.js";
import { runOpenLoop, type OpenLoopOutcome } from "./lib/load.js";
import { cpuMeter } from "./lib/proc-stats.js";
import { runMain, sleep } from "./lib/processes.js";
import { fmt, printTable, runBenchmark, type Target } from "./lib/report.js";
import { createPushSigner, createSecrets, signAccessToken, type PushSigner } from "./lib/secrets.js";
import { connectClients } from "./lib/socket-clients.js";
import { startSocketServer, type SocketServerKind } from "./lib/socket-servers.js";
import { summarize, type Summary } from "./lib/stats.js";
import type { ChatMessage } from "../socket-server/src/events.js";

/** A step "holds" when at least this share of the offered pushes is answered 2xx and delivered within the window… */
const HOLD_SHARE = 0.95;
/** …and the push→delivery p99 stays within this. */
const HOLD_P99_MS = 50;
const TARGET_RATIO = 0.6;
const TARGET_P99_AT_2000_MS = 25;

interface StepRow {
  offered: number;
  achieved: number;
  deliveredPerSecond: number;
  latency: Summary;
  errors: number;
  lost: number;
  serverCpu: number;
  generatorCpu: number;
  maxTickGapMs: number;
  holds: boolean;
  outcome: OpenLoopOutcome;
}

interface ServerRun {
  kind: SocketServerKind;
  sockets: number;
  connectSeconds: number;
  failedSockets: number;
  steps: StepRow[];
  /** Highest offered rate that held; null when none did. */
  ceiling: number | null;
  /** True when the highest step tried still held: the real ceiling is above it. */
  ceilingIsLowerBound: boolean;
}

export async function runPushFanout(argv = process.argv.slice(2)) {
  const args = parseArgs(argv);
  const sockets = args.number("sockets", args.quick ? 500 : 2_000);
  const rates = args.numbers("rates", args.quick ? [500, 1_000, 2_000] : [500, 1_000, 2_000, 3_000, 4_000, 6_000, 8_000, 10_000, 12_000]);
  const stepSeconds = args.number("step-seconds", args.quick ? 2 : 5);
  const connections = args.number("connections", 16);
  const signerKind = args.string("signer") === "standardwebhooks" ? "standardwebhooks" : "node";
  const only = args.string("only-server") as SocketServerKind | undefined;
  const kinds: SocketServerKind[] = only ? [only] : ["socket-server", "bare"];

  return runBenchmark("push-fanout", args.quick, async () => {
    const runs: ServerRun[] = [];
    for (const kind of kinds) {
      runs.push(await runAgainst(kind, { sockets, rates, stepSeconds, connections, signerKind, cpuProf: args.cpuProf && kind === "socket-server" }));
    }
    for (const run of runs) {
      printTable(
        `Push fan-out — ${run.kind}, ${fmt(run.sockets)} sockets (connected in ${fmt(run.connectSeconds)} s), ${stepSeconds} s steps`,
        ["offered/s", "2xx/s", "delivered/s", "p50 ms", "p99 ms", "max ms", "errors", "lost", "server CPU %", "gen CPU %", "holds"],
        run.steps.map((step) => [
          step.offered,
          Math.round(step.achieved),
          Math.round(step.deliveredPerSecond),
          step.latency.p50,
          step.latency.p99,
          step.latency.max,
          step.errors,
          step.lost,
          Math.round(step.serverCpu),
          Math.round(step.generatorCpu),
          step.holds ? "yes" : "no",
        ]),
      );
      console.log(`ceiling (highest step with ≥ ${HOLD_SHARE * 100}% answered and delivered, p99 ≤ ${HOLD_P99_MS} ms): ${ceilingText(run)}`);
    }

    const targets: Target[] = [];
    const ours = runs.find((run) => run.kind === "socket-server");
    const bare = runs.find((run) => run.kind === "bare");
    if (ours && bare) {
      const ratio = ours.ceiling !== null && bare.ceiling ? ours.ceiling / bare.ceiling : 0;
      const bound = ours.ceilingIsLowerBound || bare.ceilingIsLowerBound ? " (a ceiling hit the top step: ratio is approximate)" : "";
      targets.push({
        label: `push ceiling ≥ ${TARGET_RATIO}× bare Socket.IO`,
        pass: ratio >= TARGET_RATIO,
        detail: `${fmt(ratio, 2)}× (${ceilingText(ours)} vs ${ceilingText(bare)})${bound}`,
      });
    }
    if (ours) {
      const step = ours.steps.find((row) => row.offered === 2_000);
      const label = `push p99 ≤ ${TARGET_P99_AT_2000_MS} ms at 2,000/s with 2,000 sockets`;
      if (!step) targets.push({ label, pass: false, detail: "not measured (no 2,000/s step)" });
      else {
        const note = ours.sockets === 2_000 ? "" : ` (measured with ${fmt(ours.sockets)} sockets)`;
        targets.push({ label, pass: step.latency.p99 <= TARGET_P99_AT_2000_MS && step.holds, detail: `p99 ${fmt(step.latency.p99)} ms, ${Math.round(step.achieved)} 2xx/s${note}` });
      }
    }
    return { targets, data: { options: { sockets, rates, stepSeconds, connections, signerKind }, runs } };
  });
}

function ceilingText(run: ServerRun): string {
  if (run.ceiling === null) return "none";
  return `${run.ceilingIsLowerBound ? "≥ " : ""}${fmt(run.ceiling)}/s`;
}

interface RunOptions {
  sockets: number;
  rates: number[];
  stepSeconds: number;
  connections: number;
  signerKind: "node" | "standardwebhooks";
  cpuProf: boolean;
}

/** Per-step delivery bookkeeping; content carries `<step>:<hrtime ns at send>`. */
interface StepRecorder {
  step: number;
  latencies: number[];
  delivered: number;
  deliveredInWindow: number;
  windowEndNs: bigint;
}

async function runAgainst(kind: SocketServerKind, options: RunOptions): Promise<ServerRun> {
  const { jwtSecret, webhookSecret } = createSecrets();
  const server = await startSocketServer({ kind, jwtSecret, webhookSecret, cpuProf: options.cpuProf });
  console.log(`${kind}: listening at ${server.url} (pid ${server.process.pid}); connecting ${fmt(options.sockets)} sockets…`);
  const users = Array.from({ length: options.sockets }, (_, index) => ({ id: randomUUID(), email: `fanout-${index}@bench.test` }));
  const tokens = kind === "socket-server" ? await Promise.all(users.map((user) => signAccessToken(jwtSecret, user))) : [];

  let recorder: StepRecorder | undefined;
  const onMessage = (_index: number, message: ChatMessage) => {
    const now = process.hrtime.bigint();
    const separator = message.content.indexOf(":");
    const step = Number(message.content.slice(0, separator));
    if (!recorder || recorder.step !== step) return;
    recorder.latencies.push(Number(now - BigInt(message.content.slice(separator + 1))) / 1e6);
    recorder.delivered++;
    if (now <= recorder.windowEndNs) recorder.deliveredInWindow++;
  };
  const pool = await connectClients({
    url: server.url,
    count: options.sockets,
    clientOptions: (index) => (kind === "socket-server" ? { auth: { token: tokens[index] } } : { query: { userId: users[index]!.id } }),
    onMessage,
  });
  await sleep(1_000);

  const http = createHttpClient(server.url, { connections: options.connections });
  const sign = createPushSigner(webhookSecret, options.signerKind);
  // The sender is not connected, so each push is delivered exactly once (to its recipient).
  const senderId = randomUUID();
  const conversationId = randomUUID();
  let seq = 0;
  const push = (step: number) => () => {
    const message: ChatMessage = {
      id: randomUUID(),
      conversationId,
      seq: ++seq,
      senderId,
      recipientId: users[Math.floor(Math.random() * users.length)]!.id,
      content: `${step}:${process.hrtime.bigint()}`,
      clientId: randomUUID(),
      createdAt: new Date().toISOString(),
    };
    return sendPush(http, sign, message);
  };

  // Warm-up (JIT, connection pool), not recorded.
  await runOpenLoop({ rate: 200, durationMs: 1_000, maxInFlight: 1_000, fire: push(-1) });
  await sleep(500);

  const steps: StepRow[] = [];
  const serverCpu = cpuMeter(server.process.pid);
  let failedInARow = 0;
  for (const [index, rate] of options.rates.entries()) {
    const durationMs = options.stepSeconds * 1000;
    recorder = { step: index, latencies: [], delivered: 0, deliveredInWindow: 0, windowEndNs: process.hrtime.bigint() + BigInt(durationMs) * 1_000_000n };
    serverCpu.lap();
    const generatorStart = process.cpuUsage();
    const wallStart = process.hrtime.bigint();
    const outcome = await runOpenLoop({ rate, durationMs, maxInFlight: Math.max(2_000, rate), fire: push(index) });
    const generatorUse = process.cpuUsage(generatorStart);
    const generatorCpu = ((generatorUse.user + generatorUse.system) / 1000 / (Number(process.hrtime.bigint() - wallStart) / 1e6)) * 100;
    // Deliveries still on the wire.
    const deadline = Date.now() + 3_000;
    while (recorder.delivered < outcome.ok && Date.now() < deadline) await sleep(20);
    const cpu = serverCpu.lap();
    const step = recorder;
    recorder = undefined;
    const latency = summarize(step.latencies);
    const deliveredPerSecond = step.deliveredInWindow / options.stepSeconds;
    const row: StepRow = {
      offered: rate,
      achieved: outcome.achievedPerSecond,
      deliveredPerSecond,
      latency,
      errors: outcome.failed + outcome.skipped + outcome.unanswered,
      lost: Math.max(0, outcome.ok - step.delivered),
      serverCpu: cpu,
      generatorCpu,
      maxTickGapMs: outcome.maxTickGapMs,
      holds: outcome.achievedPerSecond >= HOLD_SHARE * rate && deliveredPerSecond >= HOLD_SHARE * rate && latency.p99 <= HOLD_P99_MS,
      outcome,
    };
    steps.push(row);
    console.log(
      `  ${kind} ${fmt(rate)}/s: ${Math.round(row.achieved)} 2xx/s, ${Math.round(deliveredPerSecond)} delivered/s, p50 ${fmt(latency.p50)} ms, p99 ${fmt(latency.p99)} ms, errors ${row.errors}${outcome.errorSamples.length ? ` (${outcome.errorSamples[0]})` : ""}`,
    );
    failedInARow = row.holds ? 0 : failedInARow + 1;
    if (failedInARow >= 2) break;
    await sleep(1_000);
  }

  pool.close();
  http.close();
  await server.stop();
  const holding = steps.filter((step) => step.holds);
  const ceiling = holding.length ? Math.max(...holding.map((step) => step.offered)) : null;
  return {
    kind,
    sockets: options.sockets,
    connectSeconds: pool.connectSeconds,
    failedSockets: pool.failed,
    steps,
    ceiling,
    ceilingIsLowerBound: ceiling !== null && ceiling === options.rates[options.rates.length - 1],
  };
}

async function sendPush(http: ReturnType<typeof createHttpClient>, sign: PushSigner, message: ChatMessage): Promise<boolean> {
  const body = JSON.stringify({ type: "message.created", data: message });
  const id = `msg_${message.id}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await http.request(
    "POST",
    "/webhooks/messages",
    {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": sign(id, timestamp, body),
    },
    body,
  );
  if (response.status >= 200 && response.status < 300) return true;
  throw new Error(`HTTP ${response.status}: ${response.body}`);
}

runMain(import.meta.url, () => runPushFanout());
