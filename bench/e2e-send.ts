/**
 * End-to-end send: `POST /api/chat/send` on the production web app (`next start`) → store →
 * signed push → real socket server → the recipient's socket, with N users connected, at stepped
 * rates. Once on Postgres (DATABASE_URL, a scratch database) and once on the embedded PGlite
 * default. Baselines: raw single-row INSERTs into a comparable table through `pg` with the same
 * pool size (10), and through PGlite in this process; and, per mode, the same ladder without the
 * push outbox ("direct": PUSH_OUTBOX=off, the earlier push after the response, with the outbox
 * triggers disabled in the scratch database), so the outbox's cost reads as a same-run ratio;
 * with both kept running, they then take turns at longer steps at half the direct ceiling (direct,
 * outbox; outbox, direct; …), ten rounds, and the p99s of all their sends pooled are compared.
 * Then, per mode, three steps at half the measured ceiling (their median send → delivery p99), and the bare
 * Next.js baseline app (bench/lib/baseline-app.ts) at that same rate: (a) a blank route and
 * (b) the raw INSERT plus one fetch to a stub push endpoint, for web CPU per request. On
 * Postgres, finally, two web processes behind a round-robin proxy against one.
 *
 *   node --import tsx bench/e2e-send.ts [--quick] [--users=1000] [--rates=100,200,…]
 *     [--step-seconds=5] [--connections=64] [--modes=postgres,embedded] [--variants=direct,outbox]
 *     [--scale-out=on|off] [--cpu-prof]
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { parseArgs } from "./lib/cli.js";
import { COMPARABLE_TABLE, ensureBaselineBuild, startBaselineApp, startStubPushEndpoint } from "./lib/baseline-app.js";
import { findFreePort } from "./lib/ports.js";
import { startProcess, waitForHttp } from "./lib/processes.js";
import { readCpuSeconds } from "./lib/proc-stats.js";
import { BENCH_DIR } from "./lib/paths.js";
import { useSource } from "./lib/source.js";
import {
  ceilingOf,
  createDeliveryTracker,
  pooledLatency,
  pooledP99Ratio,
  runSteps,
  stampContent,
  type SteppedRunOptions,
  type StepResult,
} from "./lib/delivery.js";
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
/**
 * The ladder measures throughput: a step holds when it is answered and delivered and its p99
 * stays under a second (the server keeps up). Latency is then judged at half that ceiling.
 */
const CEILING_P99_MS = 1_000;
/** send → delivery p99 at half the measured ceiling. */
const HALF_CEILING_P99_MS = 50;
/** Web CPU per send against the bare Next.js route doing the raw INSERT and one fetch (baseline b). */
const CPU_RATIO = 1.5;
/** Two web processes: CPU per send at least this close to one process's (the work splits, nothing shared grows). */
const SCALE_OUT_CPU_RATIO = 0.9;
const POOL_SIZE = 10;
/**
 * Comparison rounds: each a step of each variant, back to back. The verdict is the p99 of all of
 * a variant's comparison sends pooled (~11,000 at 110/s, so it rests on ~110 sends, where one
 * step's p99 rests on ~11), with a bootstrap interval over the rounds.
 */
const COMPARE_REPEATS = 10;
/** Steps at half the ceiling (the latency target; odd). */
const HALF_REPEATS = 3;

interface ModeRun {
  mode: Mode;
  variant: Variant;
  users: number;
  seedSeconds: number;
  steps: StepResult[];
  ceiling: number | null;
  ceilingIsLowerBound: boolean;
  /** The outbox run only: of HALF_REPEATS steps at half the ceiling, the one with the median p99. */
  half?: StepResult;
  /** Every step at half the ceiling, in the order they ran. */
  halfSteps?: StepResult[];
  /**
   * Direct and outbox runs of a mode: COMPARE_REPEATS longer steps at the same rate (half the
   * direct path's ceiling), taken in turns with the other variant, where their p99 (pooled, see
   * `comparePooled`) and CPU are compared; this is the one with the median p99, printed beside
   * it. A p99 from one 5 s step near either run's knee says more about queueing than about the
   * outbox, and one step's p99 (its ~10 slowest sends) is one stall away from doubling: a garbage
   * collection, a checkpoint, the embedded database's vacuum, the 5 s sweep. Taking turns puts
   * whatever else the machine does in those minutes on both variants alike; run one after the
   * other, the same code read 0.45× to 1.26×.
   */
  compare?: StepResult;
  /** Every comparison step, in the order they ran (step i of each variant is round i). */
  compareSteps?: StepResult[];
  /** The send → delivery latencies of all comparison steps, pooled: the verdict's p99. */
  comparePooled?: Summary;
  /** Set for the scale-out run. */
  label?: string;
}

/** The bare Next.js app at one rate: web CPU per request of (a) and (b). */
interface SendBaseline {
  mode: Mode;
  rate: number;
  blank: OpenLoopCost;
  send: OpenLoopCost;
}

interface OpenLoopCost {
  achieved: number;
  cpuMsPerRequest: number;
  cpuPercent: number;
  errors: number;
  p99Ms: number;
}

interface ScaleOutRun {
  one: ModeRun;
  two: ModeRun;
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
  const scaleOut = (args.string("scale-out") ?? "on") === "on" && modes.includes("postgres") && variants.includes("outbox");
  const baselineSeconds = args.quick ? 2 : 5;

  return runBenchmark("e2e-send", args.quick, async () => {
    const build = await ensureBuild({ force: args.has("rebuild") });
    const baselineBuild = await ensureBaselineBuild();
    const options: ModeOptions = { users, rates, stepSeconds, connections, cpuProf: args.cpuProf, processes: 1 };
    const runs: ModeRun[] = [];
    const baselines: InsertBaseline[] = [];
    const sendBaselines: SendBaseline[] = [];
    for (const mode of modes) {
      // Each variant its own database, web app and socket server, all kept running until both
      // have taken their turns at the comparison rate.
      const sessions: ModeSession[] = [];
      try {
        for (const variant of variants) sessions.push(await openMode(mode, variant, options));
        // Every variant's stack is up before the first ladder: each ladder then runs beside the
        // other's idle stack. Opened one after the other, only the second one did, and read lower.
        for (const session of sessions) await session.measure();
        const direct = sessions.find((session) => session.run.variant === "direct");
        const outbox = sessions.find((session) => session.run.variant === "outbox");
        if (direct && outbox && direct.run.ceiling) await compareInTurns([direct, outbox], halfOf(direct.run.ceiling), stepSeconds * 2);
        for (const session of sessions) {
          runs.push(session.run);
          const baseline = await session.insertBaseline();
          if (baseline) baselines.push(baseline);
        }
      } finally {
        for (const session of sessions.reverse()) await session.close();
      }
      for (const run of runs.filter((candidate) => candidate.mode === mode)) {
        const cpuStep = costStep(run);
        if (cpuStep) sendBaselines.push(await runSendBaseline(mode, cpuStep.offered, stepSeconds, args.cpuProf));
      }
    }
    if (modes.includes("embedded")) baselines.push(await pgliteInsertBaseline(baselineSeconds));
    let scale: ScaleOutRun | undefined;
    if (scaleOut) {
      const one = runs.find((run) => run.mode === "postgres" && run.variant === "outbox")!;
      // Past the single process's ceiling too: two should go further.
      const twoRates = [...new Set([...rates, ...rates.map((rate) => rate * 2)])].sort((a, b) => a - b);
      const session = await openMode("postgres", "outbox", { ...options, rates: twoRates, processes: 2, half: false });
      await session.measure();
      const two = session.run;
      await session.close();
      scale = { one, two };
    }

    for (const run of [...runs, ...(scale ? [scale.two] : [])]) {
      const webNames = run.label === "two web processes" ? ["web1", "web2", "proxy"] : ["web"];
      printTable(
        `End-to-end send — ${run.mode}, ${run.variant === "outbox" ? "push outbox" : "direct push (no outbox, baseline)"}${run.label ? `, ${run.label}` : ""}, ${fmt(run.users)} users connected, ${stepSeconds} s steps`,
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
          ...webNames.map((name) => `${name} CPU %`),
          ...webNames.filter((name) => name !== "proxy").map((name) => `${name} ms/send`),
          "socket CPU %",
          "Postgres CPU %",
          "gen CPU %",
          "other CPU %",
          "holds",
        ],
        [...run.steps, ...(run.halfSteps ?? []), ...(run.compareSteps ?? [])].map((step) => [
          run.halfSteps?.includes(step) ? `${step.offered} (½)` : run.compareSteps?.includes(step) ? `${step.offered} (cmp)` : step.offered,
          Math.round(step.achieved),
          Math.round(step.deliveredPerSecond),
          step.latency.p50,
          step.latency.p99,
          step.latency.max,
          step.responseLatency?.p50,
          step.responseLatency?.p99,
          step.errors,
          step.lost,
          ...webNames.map((name) => Math.round(step.cpu[name] ?? 0)),
          ...webNames.filter((name) => name !== "proxy").map((name) => fmt(step.cpuMsPerOp[name] ?? Number.NaN, 2)),
          Math.round(step.cpu.socket ?? 0),
          run.mode === "postgres" ? Math.round(step.postgresCpu) : "",
          Math.round(step.generatorCpu),
          Math.round(step.otherCpu),
          step.holds ? "yes" : step.attempts > 1 ? "no (×2)" : "no",
        ]),
      );
      const costs = run.steps.filter((step) => step.holds).map((step) => webMsPerSend(step));
      const cost = costs.length ? costs[costs.length - 1]! : Number.NaN;
      console.log(
        `ceiling (highest step with ≥ ${HOLD_SHARE * 100}% answered and delivered, p99 under ${fmt(CEILING_P99_MS)} ms): ${ceilingText(run)}; ` +
          `the web tier spends ${fmt(cost, 2)} ms of CPU per send there, so one core sustains about ${fmt(Math.round(1000 / cost))} sends/s`,
      );
    }
    printTable(
      `Baseline — raw single-row INSERT into a comparable table (same columns and indexes, no trigger, no RLS), ${baselineSeconds} s`,
      ["driver", "in flight", "inserts/s", "p50 ms", "p99 ms"],
      baselines.map((row) => [row.driver, row.concurrency, Math.round(row.perSecond), row.latency.p50, row.latency.p99]),
    );
    printTable(
      `Baseline — bare Next.js ${baselineBuild.nextVersion} routes (production build, pool ${POOL_SIZE}) at the product's half-ceiling rate (or its lowest step), ${stepSeconds} s`,
      ["mode", "rate/s", "route", "2xx/s", "web CPU %", "web ms/req", "HTTP p99 ms", "errors"],
      sendBaselines.flatMap((row) =>
        (
          [
            ["(a) blank", row.blank],
            ["(b) INSERT + fetch", row.send],
          ] as const
        ).map(([route, cost]) => [
          row.mode,
          row.rate,
          route,
          Math.round(cost.achieved),
          Math.round(cost.cpuPercent),
          fmt(cost.cpuMsPerRequest, 2),
          fmt(cost.p99Ms, 1),
          cost.errors,
        ]),
      ),
    );

    const outboxTargets: Target[] = [];
    for (const mode of modes) {
      const direct = runs.find((run) => run.mode === mode && run.variant === "direct");
      const outbox = runs.find((run) => run.mode === mode && run.variant === "outbox");
      if (!direct || !outbox) continue;
      const comparison = compareVariants(direct, outbox);
      console.log(
        `${mode}: outbox vs direct — ceiling ${ceilingText(outbox)} vs ${ceilingText(direct)} (${fmt(comparison.ceilingRatio, 2)}×); ` +
          `at ${fmt(comparison.rate)}/s (${comparison.where}): 201/s ${fmt(comparison.outboxAchieved)} vs ${fmt(comparison.directAchieved)}, ` +
          `p99 ${fmt(comparison.outboxP99)} vs ${fmt(comparison.directP99)} ms (${fmt(comparison.p99Ratio, 2)}×: direct ÷ outbox), ` +
          `web CPU ${fmt(comparison.outboxCpuMs, 2)} vs ${fmt(comparison.directCpuMs, 2)} ms/send`,
      );
      outboxTargets.push({
        label: `${mode}: sends/s and p99 with the outbox ≥ ${OUTBOX_RATIO}× the direct push (same run)`,
        pass: comparison.ceilingRatio >= OUTBOX_RATIO && comparison.p99Ratio >= OUTBOX_RATIO,
        detail:
          `ceiling ${fmt(comparison.ceilingRatio, 2)}×, p99 at ${fmt(comparison.rate)}/s ${fmt(comparison.p99Ratio, 2)}× (direct p99 ÷ outbox p99` +
          (comparison.p99Interval
            ? `, all comparison sends pooled; ${comparison.p99Interval.level * 100}% bootstrap interval over the rounds ` +
              `${fmt(comparison.p99Interval.low, 2)}–${fmt(comparison.p99Interval.high, 2)}×)`
            : ")"),
      });
    }

    const targets: Target[] = [];
    for (const run of runs.filter((candidate) => candidate.variant === "outbox")) {
      const half = run.half;
      const cpuStep = costStep(run);
      const baseline = sendBaselines.find((row) => row.mode === run.mode);
      const cost = cpuStep ? webMsPerSend(cpuStep) : Number.NaN;
      const ratio = baseline ? cost / baseline.send.cpuMsPerRequest : Number.NaN;
      targets.push({
        label: `${run.mode}: send web CPU per request ≤ ${CPU_RATIO}× bare Next.js INSERT + fetch (b)`,
        pass: ratio <= CPU_RATIO,
        detail:
          `${fmt(ratio, 2)}× (${fmt(cost, 2)} vs ${fmt(baseline?.send.cpuMsPerRequest, 2)} ms at ${fmt(cpuStep?.offered)}/s${half ? "" : ", the lowest step: none held"}; ` +
          `blank route (a) ${fmt(baseline?.blank.cpuMsPerRequest, 2)} ms)`,
      });
      targets.push({
        label: `${run.mode}: send→delivery p99 ≤ ${HALF_CEILING_P99_MS} ms at half the measured ceiling`,
        pass: half !== undefined && half.holds,
        detail: half
          ? `p99 ${fmt(half.latency.p99)} ms at ${fmt(half.offered)}/s, median of ${p99List(run.halfSteps)} ` +
            `(ceiling ${ceilingText(run)}), ${Math.round(half.achieved)} 201/s`
          : "no ceiling: no step held",
      });
    }
    if (scale) {
      const comparison = compareScaleOut(scale);
      const where = `${fmt(comparison.rate)}/s${comparison.held ? "" : " (the lowest step; none held in both)"}`;
      console.log(
        `postgres: two web processes behind a round-robin proxy vs one — peak ${Math.round(comparison.twoPeak)} vs ${Math.round(comparison.onePeak)} 201/s ` +
          `(${fmt(comparison.throughputRatio, 2)}×; ceilings ${ceilingText(scale.two)} vs ${ceilingText(scale.one)}); at ${where}: web CPU per send ` +
          `${fmt(comparison.twoCpuMs, 2)} ms (web1 ${fmt(comparison.split.web1, 2)} + web2 ${fmt(comparison.split.web2, 2)}; proxy ${fmt(comparison.split.proxy, 2)} more) vs ${fmt(comparison.oneCpuMs, 2)} ms`,
      );
      targets.push({
        label: `postgres: two web processes (round-robin proxy) — web CPU per send ≥ ${SCALE_OUT_CPU_RATIO}× as efficient as one process (capacity adds with cores)`,
        pass: comparison.cpuRatio >= SCALE_OUT_CPU_RATIO,
        detail:
          `throughput ${fmt(comparison.throughputRatio, 2)}× one process (peak ${Math.round(comparison.twoPeak)} vs ${Math.round(comparison.onePeak)} 201/s); ` +
          `CPU split at ${where}: web1 ${fmt(comparison.split.web1, 2)} + web2 ${fmt(comparison.split.web2, 2)} ms/send ` +
          `(one process ${fmt(comparison.oneCpuMs, 2)}: ${fmt(comparison.cpuRatio, 2)}×), proxy ${fmt(comparison.split.proxy, 2)} ms/send`,
      });
    }
    return {
      targets: [...targets, ...outboxTargets],
      data: {
        options: { users, rates, stepSeconds, connections, modes, variants, scaleOut },
        build,
        baselineBuild,
        runs,
        baselines,
        sendBaselines,
        scaleOut: scale?.two,
      },
    };
  });
}

/** The step whose CPU per send is compared with the baseline: half the ceiling, or the lowest step when none held. */
function costStep(run: ModeRun): StepResult | undefined {
  if (run.variant !== "outbox" || run.label) return undefined;
  return run.half ?? run.steps[0];
}

/** Web-tier CPU per send: the web process, or both web processes behind the proxy (the proxy is apart). */
function webMsPerSend(step: StepResult): number {
  if (step.cpuMsPerOp.web !== undefined) return step.cpuMsPerOp.web;
  return (step.cpuMsPerOp.web1 ?? Number.NaN) + (step.cpuMsPerOp.web2 ?? Number.NaN);
}

/**
 * Two processes against one: the peak 2xx rate of any step (the ceilings too, when steps held),
 * and CPU per send at the highest rate both held, or at the lowest rate both ran when none held.
 */
function compareScaleOut({ one, two }: ScaleOutRun) {
  const oneSteps = new Map(one.steps.map((step) => [step.offered, step]));
  const common = two.steps.filter((step) => oneSteps.has(step.offered));
  const bothHeld = common.filter((step) => step.holds && oneSteps.get(step.offered)!.holds);
  const t = bothHeld.length ? bothHeld[bothHeld.length - 1] : common[0];
  const o = t ? oneSteps.get(t.offered) : undefined;
  const oneCpuMs = o ? webMsPerSend(o) : Number.NaN;
  const twoCpuMs = t ? webMsPerSend(t) : Number.NaN;
  const peak = (run: ModeRun) => Math.max(...run.steps.map((step) => step.achieved));
  return {
    rate: t?.offered ?? Number.NaN,
    held: bothHeld.length > 0,
    onePeak: peak(one),
    twoPeak: peak(two),
    throughputRatio: peak(two) / peak(one),
    oneCpuMs,
    twoCpuMs,
    cpuRatio: oneCpuMs / twoCpuMs,
    split: { web1: t?.cpuMsPerOp.web1 ?? Number.NaN, web2: t?.cpuMsPerOp.web2 ?? Number.NaN, proxy: t?.cpuMsPerOp.proxy ?? Number.NaN },
  };
}

/**
 * The bare Next.js app at the product's half-ceiling rate, open loop like the product's steps:
 * (a) the blank route, then (b) the raw INSERT plus one fetch to a stub push endpoint (in this process).
 */
async function runSendBaseline(mode: Mode, rate: number, stepSeconds: number, cpuProf: boolean): Promise<SendBaseline> {
  const databaseName = scratchDatabaseName("baseline_send");
  const scratch = mode === "embedded" ? scratchDataDir("baseline-pglite") : undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let database: DatabaseTarget;
    if (mode === "postgres") {
      database = { mode, databaseUrl: await createDatabase(databaseName) };
      cleanups.push(() => dropDatabase(databaseName));
    } else {
      database = { mode, dataDir: scratch!.dataDir };
      cleanups.push(() => scratch!.remove());
    }
    const stub = await startStubPushEndpoint();
    cleanups.push(() => stub.close());
    const app = await startBaselineApp({ database, pushUrl: stub.url, cpuProf });
    cleanups.push(() => app.stop());
    const http = createHttpClient(app.url, { connections: 64 });
    cleanups.push(() => http.close());
    const senders = Array.from({ length: 100 }, () => randomUUID());
    const routes = {
      blank: () => http.request("GET", "/blank"),
      send: () =>
        http.request(
          "POST",
          "/send",
          { "content-type": "application/json" },
          JSON.stringify({
            senderId: senders[Math.floor(Math.random() * senders.length)],
            recipientId: senders[Math.floor(Math.random() * senders.length)],
            content: stampContent(0),
            clientId: randomUUID(),
          }),
        ),
    };
    // The first send opens the database (PGlite creates its cluster: seconds on a busy machine).
    const deadline = Date.now() + 180_000;
    for (;;) {
      const response = await routes.send().catch((error: Error) => ({ status: 0, body: error.message }));
      if (response.status === 201) break;
      if (Date.now() > deadline)
        throw new Error(`baseline app never answered a send: HTTP ${response.status} ${response.body.slice(0, 200)}`);
      await sleep(500);
    }
    const measure = async (route: keyof typeof routes): Promise<OpenLoopCost> => {
      const call = routes[route];
      const fire = async () => {
        const response = await call();
        if (response.status < 200 || response.status >= 300) throw new Error(`HTTP ${response.status}: ${response.body.slice(0, 200)}`);
        return true;
      };
      // Warm-up: the route module loads lazily, the JIT and the pool warm up. Not recorded.
      await runOpenLoop({ rate: Math.min(rate, 100), durationMs: 2_000, maxInFlight: 500, fire });
      const latencies: number[] = [];
      const before = readCpuSeconds(app.process.pid);
      const started = process.hrtime.bigint();
      const outcome = await runOpenLoop({
        rate,
        durationMs: stepSeconds * 1000,
        maxInFlight: Math.max(2_000, rate),
        fire: async () => {
          const at = process.hrtime.bigint();
          await fire();
          latencies.push(Number(process.hrtime.bigint() - at) / 1e6);
          return true;
        },
      });
      const cpuSeconds = readCpuSeconds(app.process.pid) - before;
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        achieved: outcome.achievedPerSecond,
        cpuMsPerRequest: outcome.ok ? (cpuSeconds * 1000) / outcome.ok : Number.NaN,
        cpuPercent: (cpuSeconds / wallSeconds) * 100,
        errors: outcome.failed + outcome.skipped + outcome.unanswered,
        p99Ms: summarize(latencies).p99,
      };
    };
    const blank = await measure("blank");
    const send = await measure("send");
    console.log(
      `${mode}: bare Next.js at ${rate}/s — (a) blank ${fmt(blank.cpuMsPerRequest, 2)} ms CPU/req, (b) INSERT + fetch ${fmt(send.cpuMsPerRequest, 2)} ms CPU/req (${stub.received()} pushes received)`,
    );
    return { mode, rate, blank, send };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}

/**
 * The outbox against the direct path: ceilings, and p99 and CPU at the comparison steps both ran
 * in turns (the same rate, half the direct path's ceiling): the p99 of all their sends pooled, with
 * a bootstrap interval over the rounds, and CPU per send over all of them. Without comparison
 * steps, at the highest ladder step both held.
 */
function compareVariants(direct: ModeRun, outbox: ModeRun) {
  const held = (run: ModeRun) => new Map(run.steps.filter((step) => step.holds).map((step) => [step.offered, step]));
  const ceilingRatio = direct.ceiling ? (outbox.ceiling ?? 0) / direct.ceiling : Number.NaN;
  const directSteps = direct.compareSteps ?? [];
  const outboxSteps = outbox.compareSteps ?? [];
  if (directSteps.length && directSteps.length === outboxSteps.length && direct.compare!.offered === outbox.compare!.offered) {
    const interval = pooledP99Ratio(directSteps.map((step, round) => [step, outboxSteps[round]!]));
    const mean = (steps: StepResult[], pick: (step: StepResult) => number) =>
      steps.reduce((total, step) => total + pick(step), 0) / steps.length;
    const directP99 = direct.comparePooled!.p99;
    const outboxP99 = outbox.comparePooled!.p99;
    return {
      where:
        `half the direct ceiling, ${directSteps.length} rounds of ${direct.compare!.seconds} s steps taken in turns, p99 of all sends pooled ` +
        `(${fmt(direct.comparePooled!.count)} and ${fmt(outbox.comparePooled!.count)}); the steps' own p99s: direct ${p99List(directSteps)}, ` +
        `outbox ${p99List(outboxSteps)} ms, whose medians give ${fmt(direct.compare!.latency.p99 / outbox.compare!.latency.p99, 2)}×`,
      ceilingRatio,
      rate: direct.compare!.offered,
      directAchieved: Math.round(mean(directSteps, (step) => step.achieved)),
      outboxAchieved: Math.round(mean(outboxSteps, (step) => step.achieved)),
      directP99,
      outboxP99,
      p99Ratio: interval.ratio,
      p99Interval: interval,
      directCpuMs: cpuMsPerSend(directSteps),
      outboxCpuMs: cpuMsPerSend(outboxSteps),
    };
  }
  const directHeld = held(direct);
  const outboxHeld = held(outbox);
  const common = [...directHeld.keys()].filter((rate) => outboxHeld.has(rate)).sort((a, b) => b - a)[0];
  const d = common === undefined ? undefined : directHeld.get(common)!;
  const o = common === undefined ? undefined : outboxHeld.get(common)!;
  return {
    where: "highest step both held",
    ceilingRatio,
    rate: common ?? Number.NaN,
    directAchieved: Math.round(d?.achieved ?? Number.NaN),
    outboxAchieved: Math.round(o?.achieved ?? Number.NaN),
    directP99: d?.latency.p99 ?? Number.NaN,
    outboxP99: o?.latency.p99 ?? Number.NaN,
    p99Ratio: d && o ? d.latency.p99 / o.latency.p99 : Number.NaN,
    p99Interval: undefined,
    directCpuMs: d?.cpuMsPerOp.web ?? Number.NaN,
    outboxCpuMs: o?.cpuMsPerOp.web ?? Number.NaN,
  };
}

/** Web CPU per send over several steps: their CPU summed over their sends. */
function cpuMsPerSend(steps: StepResult[]): number {
  let cpuMs = 0;
  let sends = 0;
  for (const step of steps) {
    cpuMs += (step.cpuMsPerOp.web ?? Number.NaN) * step.outcome.ok;
    sends += step.outcome.ok;
  }
  return sends ? cpuMs / sends : Number.NaN;
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
  /** Web processes: 2 puts a round-robin proxy (bench/baseline/round-robin-proxy.ts) in front. */
  processes: 1 | 2;
  /** Run the steps at half the ceiling (default: for the outbox variant). */
  half?: boolean;
}

/** One variant of a mode, running (servers up, sockets connected): `measure` runs its ladder; more steps until closed. */
interface ModeSession {
  /** Filled in by `measure`. */
  run: ModeRun;
  /** The ceiling ladder, then (outbox) the steps at half the ceiling. */
  measure(): Promise<void>;
  /** One step at `rate`, recorded in nothing: the caller keeps it. */
  step(label: string, rate: number, extra?: Partial<SteppedRunOptions>): Promise<StepResult>;
  /** The background work the steps so far made due, done now (Postgres). */
  settle(): Promise<void>;
  /** Raw INSERTs into this database (Postgres, the outbox run, one process). */
  insertBaseline(): Promise<InsertBaseline | undefined>;
  close(): Promise<void>;
}

const halfOf = (ceiling: number) => Math.max(10, Math.round(ceiling / 2 / 10) * 10);

/**
 * The variants take turns at one rate, the order flipping each round, COMPARE_REPEATS steps each;
 * each run keeps its steps and the one with the median p99.
 */
async function compareInTurns(sessions: ModeSession[], rate: number, stepSeconds: number): Promise<void> {
  for (const session of sessions) await session.settle();
  const steps = new Map(sessions.map((session) => [session, [] as StepResult[]]));
  for (let round = 1; round <= COMPARE_REPEATS; round++) {
    for (const session of round % 2 === 1 ? sessions : [...sessions].reverse()) {
      await sleep(1_000);
      steps
        .get(session)!
        .push(await session.step(`comparison ${round}/${COMPARE_REPEATS}`, rate, { stepSeconds, refineShare: 0, retryMisses: false }));
    }
  }
  for (const [session, taken] of steps) {
    session.run.compareSteps = taken;
    session.run.compare = medianByP99(taken);
    session.run.comparePooled = pooledLatency(taken);
  }
}

async function openMode(mode: Mode, variant: Variant, options: ModeOptions): Promise<ModeSession> {
  const { jwtSecret, webhookSecret } = createSecrets();
  const users = createBenchUsers(options.users, `e2e-${mode}`);
  const databaseName = scratchDatabaseName(`e2e_${variant}`);
  const scratch = mode === "embedded" ? scratchDataDir("e2e-pglite") : undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    // Last started, first stopped: sockets, web app, socket server, then the database.
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
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
    // Two processes: both answer as the proxy's origin (APP_URL), which is what the browser would see.
    const proxyPort = options.processes === 2 ? await findFreePort() : undefined;
    const proxyUrl = proxyPort ? `http://127.0.0.1:${proxyPort}` : undefined;
    const apps = [];
    for (let index = 0; index < options.processes; index++) {
      const app = await startWebApp({
        database,
        jwtSecret,
        webhookSecret,
        socketServerUrl: socketServer.url,
        cpuProf: options.cpuProf,
        env: { PUSH_OUTBOX: variant === "outbox" ? "on" : "off", ...(proxyUrl && { APP_URL: proxyUrl }) },
      });
      cleanups.push(() => app.stop());
      apps.push(app);
    }
    let appUrl = apps[0]!.url;
    const webProcesses: Record<string, number> =
      apps.length === 1
        ? { web: apps[0]!.process.pid }
        : Object.fromEntries(apps.map((app, index) => [`web${index + 1}`, app.process.pid]));
    if (proxyPort) {
      const proxy = startProcess({
        name: "round-robin-proxy",
        nodeFlags: ["--import", "tsx"],
        args: [
          path.join(BENCH_DIR, "baseline", "round-robin-proxy.ts"),
          `--port=${proxyPort}`,
          `--targets=${apps.map((app) => app.url).join(",")}`,
        ],
      });
      cleanups.push(() => proxy.stop());
      appUrl = proxyUrl!;
      await waitForHttp(`${appUrl}/readyz`, proxy, 30_000);
      webProcesses.proxy = proxy.pid;
    }
    console.log(
      `${mode} (${variant}): web at ${appUrl} (${Object.entries(webProcesses)
        .map(([name, pid]) => `${name} pid ${pid}`)
        .join(", ")}), socket server at ${socketServer.url}`,
    );

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

    const http = createHttpClient(appUrl, { connections: options.connections });
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
        { "content-type": "application/json", cookie: `chat_session=${users[sender]!.token}`, origin: appUrl },
        body,
      );
      if (response.status !== 201) throw new Error(`HTTP ${response.status}: ${response.body}`);
      responseLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      return true;
    };

    // Warm-up: route modules load lazily, the JIT and the pools warm up. Not recorded.
    await runOpenLoop({ rate: 50, durationMs: 4_000, maxInFlight: 500, fire: () => send(-1) });
    await sleep(1_000);

    const stepOptions = {
      label: `${mode} ${variant}${options.processes === 2 ? " ×2" : ""}`,
      stepSeconds: options.stepSeconds,
      tracker,
      processes: { ...webProcesses, socket: socketServer.process.pid },
      holdShare: HOLD_SHARE,
      separatePostgres: true,
      fire: send,
      takeResponseLatencies: () => {
        const taken = responseLatencies;
        responseLatencies = [];
        return taken;
      },
    };
    // The ladder wrote tens of thousands of rows: on Postgres an autovacuum or a checkpoint is due,
    // and one landing inside a latency step (it took two cores for seconds here) decides its p99.
    // They are done before the steps whose p99 is judged (here, and in compareInTurns).
    const settle = async () => {
      if (database.mode === "postgres") await settleDatabase(database.databaseUrl);
    };
    // The latency verdicts come from steps judged against HALF_CEILING_P99_MS.
    const step = async (label: string, rate: number, extra: Partial<SteppedRunOptions> = {}) => {
      const [taken] = await runSteps({
        ...stepOptions,
        label: `${stepOptions.label} ${label}`,
        rates: [rate],
        holdP99Ms: HALF_CEILING_P99_MS,
        ...extra,
      });
      return taken!;
    };
    const session: ModeSession = {
      run: { mode, variant, users: users.length, seedSeconds: seeded.seconds, steps: [], ceiling: null, ceilingIsLowerBound: false },
      async measure() {
        const steps = await runSteps({ ...stepOptions, rates: options.rates, holdP99Ms: CEILING_P99_MS });
        const { ceiling, lowerBound } = ceilingOf(steps, options.rates);
        // HALF_REPEATS steps at half the ceiling: the median p99 decides, so that one stall does not
        // (all of them are printed).
        const halfSteps: StepResult[] = [];
        if ((options.half ?? variant === "outbox") && ceiling) {
          await settle();
          for (let repeat = 1; repeat <= HALF_REPEATS; repeat++) {
            await sleep(1_000);
            halfSteps.push(await step(`half ceiling ${repeat}/${HALF_REPEATS}`, halfOf(ceiling), { retryMisses: false }));
          }
        }
        const half = medianByP99(halfSteps);
        Object.assign(session.run, {
          steps,
          ceiling,
          ceilingIsLowerBound: lowerBound,
          ...(half && { half, halfSteps }),
          ...(options.processes === 2 && { label: "two web processes" }),
        });
      },
      step,
      settle,
      insertBaseline: async () =>
        // Same database, same pool size as the web app, once its steps are done.
        mode === "postgres" && variant === "outbox" && options.processes === 1 && database.mode === "postgres"
          ? pgInsertBaseline(database.databaseUrl, options.stepSeconds)
          : undefined,
      close,
    };
    return session;
  } catch (error) {
    await close();
    throw error;
  }
}

/** The steps' p99s, as printed beside a median. */
function p99List(steps: StepResult[] = []): string {
  return steps.map((step) => fmt(step.latency.p99)).join(", ");
}

/** Of steps at one rate, the one with the median p99 (undefined for none). */
function medianByP99(steps: StepResult[]): StepResult | undefined {
  return [...steps].sort((a, b) => a.latency.p99 - b.latency.p99)[Math.floor(steps.length / 2)];
}

/** VACUUM (ANALYZE) and a CHECKPOINT: the background work the ladder made due, done now. */
async function settleDatabase(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("vacuum (analyze)");
    // Needs superuser or pg_checkpoint: without it, only the vacuum.
    await client.query("checkpoint").catch(() => {});
  } finally {
    await client.end();
  }
}

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
