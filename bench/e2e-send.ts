/**
 * End-to-end send: `POST /api/chat/send` on the production web app (`next start`) → store →
 * signed push → real socket server → the recipient's socket, with N users connected, at stepped
 * rates. Once on Postgres (DATABASE_URL, a scratch database) and once on the embedded PGlite
 * default. Baselines: raw single-row INSERTs into a comparable table through `pg` with the same
 * pool size (10), and through PGlite in this process; and, per mode, the same ladder without the
 * push outbox ("direct": PUSH_OUTBOX=off, the earlier push after the response, with the outbox
 * triggers disabled in the scratch database), so the outbox's cost reads as a same-run ratio.
 *
 *   node --import tsx bench/e2e-send.ts [--quick] [--users=1000] [--rates=100,200,…]
 *     [--step-seconds=5] [--connections=64] [--modes=postgres,embedded] [--variants=direct,outbox] [--cpu-prof]
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { parseArgs } from "./lib/cli.js";
import { useSource } from "./lib/source.js";
import { ceilingOf, createDeliveryTracker, runSteps, stampContent, type StepResult } from "./lib/delivery.js";
import { createHttpClient } from "./lib/http-client.js";
import { runOpenLoop } from "./lib/load.js";
import { createDatabase, dropDatabase, scratchDatabaseName } from "./lib/postgres.js";
import { runMain, sleep } from "./lib/processes.js";
import { fmt, printTable, runBenchmark, type Target } from "./lib/report.js";
import { createSecrets, signAccessToken } from "./lib/secrets.js";
import { connectClients } from "./lib/socket-clients.js";
import { startSocketServer } from "./lib/socket-servers.js";
import { summarize, type Summary } from "./lib/stats.js";
import { createBenchUsers, ensureBuild, scratchDataDir, seedDatabase, startWebApp, type DatabaseTarget } from "./lib/web-app.js";

type Mode = "postgres" | "embedded";
/** outbox: the product; direct: the push path before the outbox, kept here as the baseline. */
type Variant = "direct" | "outbox";
const OUTBOX_TRIGGERS = [
  ["public.messages", "messages_push_outbox"],
  ["public.conversation_reads", "conversation_reads_push_outbox_insert"],
  ["public.conversation_reads", "conversation_reads_push_outbox_update"],
] as const;
/** The outbox's target: sends/s and p99 at least this share of the direct path's. */
const OUTBOX_RATIO = 0.9;

const HOLD_SHARE = 0.95;
/** Per mode: the p99 a step must stay within to hold, and the rate the target asks for. */
const GOALS: Record<Mode, { p99Ms: number; rate: number }> = {
  postgres: { p99Ms: 50, rate: 1_000 },
  embedded: { p99Ms: 100, rate: 300 },
};
const POOL_SIZE = 10;

interface ModeRun {
  mode: Mode;
  variant: Variant;
  users: number;
  seedSeconds: number;
  steps: StepResult[];
  ceiling: number | null;
  ceilingIsLowerBound: boolean;
}

interface InsertBaseline {
  driver: string;
  concurrency: number;
  seconds: number;
  inserts: number;
  perSecond: number;
  latency: Summary;
}

export async function runE2eSend(argv = process.argv.slice(2)) {
  const args = parseArgs(argv);
  useSource(args.string("source"));
  const users = args.number("users", args.quick ? 200 : 1_000);
  const rates = args.numbers("rates", args.quick ? [50, 100, 200] : [50, 100, 150, 200, 300, 400, 600, 800, 1_000, 1_250, 1_500]);
  const stepSeconds = args.number("step-seconds", args.quick ? 2 : 5);
  const connections = args.number("connections", 64);
  const modes = (args.string("modes")?.split(",") ?? ["postgres", "embedded"]) as Mode[];
  const variants = (args.string("variants")?.split(",") ?? ["direct", "outbox"]) as Variant[];
  const baselineSeconds = args.quick ? 2 : 5;

  return runBenchmark("e2e-send", args.quick, async () => {
    const build = await ensureBuild({ force: args.has("rebuild") });
    const runs: ModeRun[] = [];
    const baselines: InsertBaseline[] = [];
    for (const mode of modes) {
      // The baseline first: the database only grows, so the outbox run gets the larger one.
      for (const variant of variants) {
        const run = await runMode(mode, variant, { users, rates, stepSeconds, connections, cpuProf: args.cpuProf });
        runs.push(run.result);
        if (run.baseline) baselines.push(run.baseline);
      }
    }
    if (modes.includes("embedded")) baselines.push(await pgliteInsertBaseline(baselineSeconds));

    for (const run of runs) {
      printTable(
        `End-to-end send — ${run.mode}, ${run.variant === "outbox" ? "push outbox" : "direct push (no outbox, baseline)"}, ${fmt(run.users)} users connected, ${stepSeconds} s steps`,
        [
          "offered/s",
          "201/s",
          "delivered/s",
          "p50 ms",
          "p99 ms",
          "max ms",
          "HTTP p50",
          "HTTP p99",
          "errors",
          "lost",
          "web CPU %",
          "web ms/send",
          "socket CPU %",
          "Postgres CPU %",
          "gen CPU %",
          "other CPU %",
          "holds",
        ],
        run.steps.map((step) => [
          step.offered,
          Math.round(step.achieved),
          Math.round(step.deliveredPerSecond),
          step.latency.p50,
          step.latency.p99,
          step.latency.max,
          step.responseLatency?.p50,
          step.responseLatency?.p99,
          step.errors,
          step.lost,
          Math.round(step.cpu.web ?? 0),
          fmt(step.cpuMsPerOp.web ?? Number.NaN, 2),
          Math.round(step.cpu.socket ?? 0),
          run.mode === "postgres" ? Math.round(step.postgresCpu) : "",
          Math.round(step.generatorCpu),
          Math.round(step.otherCpu),
          step.holds ? "yes" : step.attempts > 1 ? "no (×2)" : "no",
        ]),
      );
      const costs = run.steps.filter((step) => step.holds).map((step) => step.cpuMsPerOp.web ?? Number.NaN);
      const cost = costs.length ? costs[costs.length - 1]! : Number.NaN;
      console.log(
        `ceiling (highest step with ≥ ${HOLD_SHARE * 100}% answered and delivered, send→delivery p99 ≤ ${GOALS[run.mode].p99Ms} ms): ${ceilingText(run)}; ` +
          `the web app spends ${fmt(cost, 2)} ms of CPU per send there, so one core sustains about ${fmt(Math.round(1000 / cost))} sends/s`,
      );
    }
    printTable(
      `Baseline — raw single-row INSERT into a comparable table (same columns and indexes, no trigger, no RLS), ${baselineSeconds} s`,
      ["driver", "in flight", "inserts/s", "p50 ms", "p99 ms"],
      baselines.map((row) => [row.driver, row.concurrency, Math.round(row.perSecond), row.latency.p50, row.latency.p99]),
    );
    for (const run of runs) {
      const baseline = baselines.find((row) => row.driver.startsWith(run.mode === "postgres" ? "pg" : "PGlite"));
      if (baseline && run.ceiling) console.log(`${run.mode}: ceiling is ${fmt(run.ceiling / baseline.perSecond, 2)}× the raw INSERT rate`);
    }

    const outboxTargets: Target[] = [];
    for (const mode of modes) {
      const direct = runs.find((run) => run.mode === mode && run.variant === "direct");
      const outbox = runs.find((run) => run.mode === mode && run.variant === "outbox");
      if (!direct || !outbox) continue;
      const comparison = compareVariants(direct, outbox);
      console.log(
        `${mode}: outbox vs direct — ceiling ${ceilingText(outbox)} vs ${ceilingText(direct)} (${fmt(comparison.ceilingRatio, 2)}×); ` +
          `at ${fmt(comparison.rate)}/s (highest step both held): 201/s ${fmt(comparison.outboxAchieved)} vs ${fmt(comparison.directAchieved)}, ` +
          `p99 ${fmt(comparison.outboxP99)} vs ${fmt(comparison.directP99)} ms (${fmt(comparison.p99Ratio, 2)}×: direct ÷ outbox), ` +
          `web CPU ${fmt(comparison.outboxCpuMs, 2)} vs ${fmt(comparison.directCpuMs, 2)} ms/send`,
      );
      outboxTargets.push({
        label: `${mode}: sends/s and p99 with the outbox ≥ ${OUTBOX_RATIO}× the direct push (same run)`,
        pass: comparison.ceilingRatio >= OUTBOX_RATIO && comparison.p99Ratio >= OUTBOX_RATIO,
        detail: `ceiling ${fmt(comparison.ceilingRatio, 2)}×, p99 at ${fmt(comparison.rate)}/s ${fmt(comparison.p99Ratio, 2)}× (direct p99 ÷ outbox p99)`,
      });
    }

    const targets: Target[] = runs
      .filter((run) => run.variant === "outbox")
      .map((run) => {
        const goal = GOALS[run.mode];
        const atGoal = run.steps.find((step) => step.offered === goal.rate);
        return {
          label: `${run.mode}: ≥ ${fmt(goal.rate)} sends/s with send→delivery p99 ≤ ${goal.p99Ms} ms`,
          pass: run.ceiling !== null && run.ceiling >= goal.rate,
          detail:
            `ceiling ${ceilingText(run)}` +
            (atGoal
              ? `; at ${fmt(goal.rate)}/s: ${Math.round(atGoal.achieved)} 201/s, p99 ${fmt(atGoal.latency.p99)} ms`
              : `; ${fmt(goal.rate)}/s not reached`),
        };
      });
    return {
      targets: [...targets, ...outboxTargets],
      data: { options: { users, rates, stepSeconds, connections, modes, variants }, build, runs, baselines },
    };
  });
}

/** The outbox against the direct path: ceilings, and the highest step both held (p99, CPU). */
function compareVariants(direct: ModeRun, outbox: ModeRun) {
  const held = (run: ModeRun) => new Map(run.steps.filter((step) => step.holds).map((step) => [step.offered, step]));
  const directHeld = held(direct);
  const outboxHeld = held(outbox);
  const common = [...directHeld.keys()].filter((rate) => outboxHeld.has(rate)).sort((a, b) => b - a)[0];
  const d = common === undefined ? undefined : directHeld.get(common)!;
  const o = common === undefined ? undefined : outboxHeld.get(common)!;
  return {
    ceilingRatio: direct.ceiling ? (outbox.ceiling ?? 0) / direct.ceiling : Number.NaN,
    rate: common ?? Number.NaN,
    directAchieved: Math.round(d?.achieved ?? Number.NaN),
    outboxAchieved: Math.round(o?.achieved ?? Number.NaN),
    directP99: d?.latency.p99 ?? Number.NaN,
    outboxP99: o?.latency.p99 ?? Number.NaN,
    p99Ratio: d && o ? d.latency.p99 / o.latency.p99 : Number.NaN,
    directCpuMs: d?.cpuMsPerOp.web ?? Number.NaN,
    outboxCpuMs: o?.cpuMsPerOp.web ?? Number.NaN,
  };
}

/** Turns the outbox's triggers off (the direct baseline) or on, in the scratch database. */
async function setOutboxTriggers(database: DatabaseTarget, enabled: boolean): Promise<void> {
  const sql = OUTBOX_TRIGGERS.map(([table, trigger]) => `alter table ${table} ${enabled ? "enable" : "disable"} trigger ${trigger};`).join(
    "\n",
  );
  if (database.mode === "postgres") {
    const client = new pg.Client({ connectionString: database.databaseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return;
  }
  // The web app is not running yet: the folder is free.
  const db = await PGlite.create(path.join(database.dataDir, "db"));
  try {
    await db.exec(sql);
  } finally {
    await db.close();
  }
}

function ceilingText(run: ModeRun): string {
  if (run.ceiling === null) return "none";
  return `${run.ceilingIsLowerBound ? "≥ " : ""}${fmt(run.ceiling)}/s`;
}

interface ModeOptions {
  users: number;
  rates: number[];
  stepSeconds: number;
  connections: number;
  cpuProf: boolean;
}

async function runMode(mode: Mode, variant: Variant, options: ModeOptions): Promise<{ result: ModeRun; baseline?: InsertBaseline }> {
  const { jwtSecret, webhookSecret } = createSecrets();
  const users = createBenchUsers(options.users, `e2e-${mode}`);
  const databaseName = scratchDatabaseName(`e2e_${variant}`);
  const scratch = mode === "embedded" ? scratchDataDir("e2e-pglite") : undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let database: DatabaseTarget;
    if (mode === "postgres") {
      database = { mode, databaseUrl: await createDatabase(databaseName) };
      cleanups.push(() => dropDatabase(databaseName));
    } else {
      database = { mode, dataDir: path.join(scratch!.dataDir, "data") };
      cleanups.push(() => scratch!.remove());
    }
    const seeded = await seedDatabase(database, users);
    console.log(`${mode}: seeded ${fmt(seeded.users)} users with sessions in ${fmt(seeded.seconds)} s`);
    await setOutboxTriggers(database, variant === "outbox");

    const socketServer = await startSocketServer({ kind: "socket-server", jwtSecret, webhookSecret });
    cleanups.push(() => socketServer.stop());
    const app = await startWebApp({
      database,
      jwtSecret,
      webhookSecret,
      socketServerUrl: socketServer.url,
      cpuProf: options.cpuProf,
      env: { PUSH_OUTBOX: variant === "outbox" ? "on" : "off" },
    });
    cleanups.push(() => app.stop());
    console.log(`${mode} (${variant}): web app at ${app.url} (pid ${app.process.pid}), socket server at ${socketServer.url}`);

    const tokens = await Promise.all(users.map((user) => signAccessToken(jwtSecret, user)));
    const tracker = createDeliveryTracker();
    const pool = await connectClients({
      url: socketServer.url,
      count: users.length,
      clientOptions: (index) => ({ auth: { token: tokens[index] } }),
      // The sender's own sockets get the message too; only the recipient's delivery counts.
      onMessage: (index, message) => {
        if (message.recipientId === users[index]!.id) tracker.record(message.content);
      },
    });
    cleanups.push(() => pool.close());
    console.log(`${mode}: ${fmt(users.length - pool.failed)} sockets connected in ${fmt(pool.connectSeconds)} s`);

    const http = createHttpClient(app.url, { connections: options.connections });
    cleanups.push(() => http.close());
    let responseLatencies: number[] = [];
    const send = async (step: number) => {
      const sender = Math.floor(Math.random() * users.length);
      const recipient = (sender + 1 + Math.floor(Math.random() * (users.length - 1))) % users.length;
      const body = JSON.stringify({ recipientId: users[recipient]!.id, content: stampContent(step), clientId: randomUUID() });
      const started = process.hrtime.bigint();
      const response = await http.request(
        "POST",
        "/api/chat/send",
        { "content-type": "application/json", cookie: `chat_session=${users[sender]!.token}`, origin: app.url },
        body,
      );
      if (response.status !== 201) throw new Error(`HTTP ${response.status}: ${response.body}`);
      responseLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      return true;
    };

    // Warm-up: route modules load lazily, the JIT and the pools warm up. Not recorded.
    await runOpenLoop({ rate: 50, durationMs: 4_000, maxInFlight: 500, fire: () => send(-1) });
    await sleep(1_000);

    const steps = await runSteps({
      label: `${mode} ${variant}`,
      rates: options.rates,
      stepSeconds: options.stepSeconds,
      tracker,
      processes: { web: app.process.pid, socket: socketServer.process.pid },
      holdShare: HOLD_SHARE,
      holdP99Ms: GOALS[mode].p99Ms,
      separatePostgres: true,
      fire: send,
      takeResponseLatencies: () => {
        const taken = responseLatencies;
        responseLatencies = [];
        return taken;
      },
    });
    const { ceiling, lowerBound } = ceilingOf(steps, options.rates);

    let baseline: InsertBaseline | undefined;
    if (mode === "postgres" && variant === "outbox" && database.mode === "postgres") {
      // Same database, same moment, same pool size as the web app.
      baseline = await pgInsertBaseline(database.databaseUrl, options.stepSeconds);
    }
    return {
      result: { mode, variant, users: users.length, seedSeconds: seeded.seconds, steps, ceiling, ceilingIsLowerBound: lowerBound },
      baseline,
    };
  } finally {
    // Last started, first stopped: sockets, web app, socket server, then the database.
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

const COMPARABLE_TABLE = `
  create table if not exists bench_raw_messages (
    id uuid primary key default gen_random_uuid(),
    conversation_id uuid not null,
    seq bigint not null,
    sender_id uuid not null,
    recipient_id uuid not null,
    content text not null,
    client_id uuid not null,
    created_at timestamptz not null default now(),
    unique (conversation_id, seq),
    unique (sender_id, client_id)
  );
  create index if not exists bench_raw_messages_recipient_idx on bench_raw_messages (recipient_id);`;
const INSERT = `insert into bench_raw_messages (conversation_id, seq, sender_id, recipient_id, content, client_id) values ($1, $2, $3, $4, $5, $6)`;

/** Closed loop: as many inserts in flight as the pool has connections, twice over, for `seconds`. */
async function pgInsertBaseline(databaseUrl: string, seconds: number): Promise<InsertBaseline> {
  const poolClient = new pg.Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  try {
    await poolClient.query(COMPARABLE_TABLE);
    const concurrency = POOL_SIZE * 2;
    const result = await closedLoop(concurrency, seconds, (seq) => poolClient.query(INSERT, insertParams(seq)).then(() => undefined));
    return { driver: `pg (pool ${POOL_SIZE})`, concurrency, seconds, ...result };
  } finally {
    await poolClient.end();
  }
}

/** PGlite in this process: one connection, so one insert at a time. */
async function pgliteInsertBaseline(seconds: number): Promise<InsertBaseline> {
  const scratch = scratchDataDir("pglite-baseline");
  const db = await PGlite.create(scratch.dataDir);
  try {
    await db.exec(COMPARABLE_TABLE);
    const result = await closedLoop(1, seconds, (seq) => db.query(INSERT, insertParams(seq)).then(() => undefined));
    return { driver: "PGlite (in process)", concurrency: 1, seconds, ...result };
  } finally {
    await db.close();
    scratch.remove();
  }
}

function insertParams(seq: number): unknown[] {
  return [CONVERSATION_ID, seq, randomUUID(), randomUUID(), `raw insert ${seq}`, randomUUID()];
}
const CONVERSATION_ID = randomUUID();

async function closedLoop(concurrency: number, seconds: number, insert: (seq: number) => Promise<void>) {
  let seq = 0;
  const latencies: number[] = [];
  // Warm-up second, not recorded.
  const warmEnd = Date.now() + 1_000;
  while (Date.now() < warmEnd) await insert(++seq);
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const at = process.hrtime.bigint();
        await insert(++seq);
        latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { inserts: latencies.length, perSecond: latencies.length / elapsed, latency: summarize(latencies) };
}

runMain(import.meta.url, () => runE2eSend());
