import { runOpenLoop, type OpenLoopOutcome } from "./load.js";
import { otherCpuMeter, readCpuSeconds } from "./proc-stats.js";
import { sleep } from "./processes.js";
import { percentile, summarize, type Summary } from "./stats.js";

/**
 * Message content that carries its own send time: `<step>:<process.hrtime.bigint()>`. The
 * receiving socket lives in the same process, so one monotonic clock measures send → delivery.
 */
export const stampContent = (step: number) => `${step}:${process.hrtime.bigint()}`;

interface Recording {
  step: number;
  latencies: number[];
  delivered: number;
  deliveredInWindow: number;
  windowEndNs: bigint;
}

/** Collects send → delivery latencies for the step in progress; deliveries of other steps are ignored. */
export function createDeliveryTracker() {
  let current: Recording | undefined;
  return {
    begin(step: number, durationMs: number) {
      current = {
        step,
        latencies: [],
        delivered: 0,
        deliveredInWindow: 0,
        windowEndNs: process.hrtime.bigint() + BigInt(durationMs) * 1_000_000n,
      };
    },
    /** Call from the socket's `message:new` handler with the message content. */
    record(content: string) {
      const now = process.hrtime.bigint();
      const separator = content.indexOf(":");
      if (!current || separator < 0 || Number(content.slice(0, separator)) !== current.step) return;
      current.latencies.push(Number(now - BigInt(content.slice(separator + 1))) / 1e6);
      current.delivered++;
      if (now <= current.windowEndNs) current.deliveredInWindow++;
    },
    delivered: () => current?.delivered ?? 0,
    end(): Recording {
      const done = current!;
      current = undefined;
      return done;
    },
  };
}

export type DeliveryTracker = ReturnType<typeof createDeliveryTracker>;

export interface StepResult {
  offered: number;
  /** How long the step offered load. */
  seconds: number;
  /** 2xx answers per second inside the window. */
  achieved: number;
  deliveredPerSecond: number;
  /** send → delivery on the receiving socket. */
  latency: Summary;
  /** Request → response, when the benchmark records it. */
  responseLatency?: Summary;
  /** Failed, skipped (backlog full) or unanswered requests. */
  errors: number;
  /** Answered 2xx but never delivered. */
  lost: number;
  /** Percent of one core, per process under test. */
  cpu: Record<string, number>;
  /** CPU milliseconds per 2xx request, per process under test: what sets the ceiling, and robust to other load. */
  cpuMsPerOp: Record<string, number>;
  generatorCpu: number;
  /** Everything else on the machine (not Postgres, not the processes above, not the generator), percent of one core: other work skews the step. */
  otherCpu: number;
  /** The local Postgres cluster, percent of one core. */
  postgresCpu: number;
  holds: boolean;
  /** A missed step is run once more and the better attempt kept: a stall from other work on the machine should not end the ladder. */
  attempts: number;
  outcome: OpenLoopOutcome;
}

export interface SteppedRunOptions {
  rates: number[];
  stepSeconds: number;
  tracker: DeliveryTracker;
  /** Processes whose CPU is reported, by label. */
  processes: Record<string, number>;
  /** A step holds when this share of offered is answered and delivered in the window… */
  holdShare: number;
  /** …and send → delivery p99 is at most this. */
  holdP99Ms: number;
  maxInFlight?: number;
  /** Sends one request for `step`; resolves true on 2xx (or throws). */
  fire(step: number): Promise<boolean>;
  /** Per-step response latencies the benchmark collected, if any; reset per step. */
  takeResponseLatencies?(): number[];
  label: string;
  /** Stop after this many failing steps in a row. */
  stopAfterMisses?: number;
  /** Report the local Postgres cluster's CPU apart from "other" (it is part of the system under test). */
  separatePostgres?: boolean;
  /**
   * After the ladder, fill the gap between the highest step that held and the first that missed
   * with steps this share apart (default 0.1; 0 turns it off). A ladder of 300 then 400 alone
   * can only say 0.75× or 1×; two runs compared at 0.9× need a finer grain near the ceiling.
   */
  refineShare?: number;
  /**
   * Run a step that misses once more and keep the better attempt (default true): right for the
   * ladder, where one stall should not end the search, but not for a step whose latency is the
   * verdict, where a second chance would pick the lucky attempt.
   */
  retryMisses?: boolean;
}

/** Runs open-loop steps of increasing rate, stopping after consecutive misses. */
export async function runSteps(options: SteppedRunOptions): Promise<StepResult[]> {
  const { rates, stopAfterMisses = 2 } = options;
  const steps: StepResult[] = [];
  let misses = 0;
  for (const rate of rates) {
    const step = await runLoggedStep(options, rate);
    steps.push(step);
    misses = step.holds ? 0 : misses + 1;
    if (misses >= stopAfterMisses) break;
    await sleep(1_000);
  }
  const refineShare = options.refineShare ?? 0.1;
  if (refineShare <= 0) return steps;
  for (const rate of refineRates(steps, refineShare)) {
    await sleep(1_000);
    const step = await runLoggedStep(options, rate, "refine");
    steps.push(step);
    if (!step.holds) break;
  }
  return steps;
}

/** Rates between the highest step that held and the first step above it that missed, `share` apart. */
export function refineRates(steps: Pick<StepResult, "offered" | "holds">[], share: number): number[] {
  const held = steps.filter((step) => step.holds).map((step) => step.offered);
  if (!held.length) return [];
  const top = Math.max(...held);
  const missed = steps.filter((step) => !step.holds && step.offered > top).map((step) => step.offered);
  if (!missed.length) return [];
  const next = Math.min(...missed);
  const rates: number[] = [];
  for (let rate = roundRate(top * (1 + share)); rate < next && rate > top; rate = roundRate(rate * (1 + share))) rates.push(rate);
  return rates;
}

const roundRate = (rate: number) => (rate >= 100 ? Math.round(rate / 10) * 10 : Math.round(rate));

/** One step, run once more when it misses (the better attempt is kept), and its log line. */
async function runLoggedStep(options: SteppedRunOptions, rate: number, note = ""): Promise<StepResult> {
  let step = await runStep(options, rate);
  if (!step.holds && options.retryMisses !== false) {
    await sleep(1_000);
    const again = await runStep(options, rate);
    step = better(step, again);
    step.attempts = 2;
  }
  const sample = step.outcome.errorSamples[0] ? ` (${step.outcome.errorSamples[0]})` : "";
  console.log(
    `  ${options.label} ${rate}/s${note ? ` (${note})` : ""}: ${Math.round(step.achieved)} 2xx/s, ${Math.round(step.deliveredPerSecond)} delivered/s, ` +
      `p50 ${step.latency.p50.toFixed(1)} ms, p99 ${step.latency.p99.toFixed(1)} ms, errors ${step.errors}, other CPU ${Math.round(step.otherCpu)}%${sample}` +
      (step.holds ? "" : `  ← misses${step.attempts > 1 ? " (twice)" : ""}`),
  );
  return step;
}

function better(a: StepResult, b: StepResult): StepResult {
  if (a.holds !== b.holds) return a.holds ? a : b;
  return b.latency.p99 < a.latency.p99 ? b : a;
}

/**
 * Step numbers are unique in the process, not per `runSteps` call: a straggler of an earlier step
 * (the messages carry their step's number) must not count in a later one.
 */
let nextStepIndex = 0;

async function runStep(options: SteppedRunOptions, rate: number): Promise<StepResult> {
  const index = nextStepIndex++;
  const { stepSeconds, tracker, holdShare, holdP99Ms, fire } = options;
  const cpuBefore = Object.fromEntries(Object.entries(options.processes).map(([name, pid]) => [name, readCpuSeconds(pid)]));
  const other = otherCpuMeter(Object.values(options.processes), { separatePostgres: options.separatePostgres });
  const durationMs = stepSeconds * 1000;
  options.takeResponseLatencies?.();
  tracker.begin(index, durationMs);
  const generatorStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const outcome = await runOpenLoop({
    rate,
    durationMs,
    maxInFlight: options.maxInFlight ?? Math.max(2_000, rate),
    fire: () => fire(index),
  });
  const generatorUse = process.cpuUsage(generatorStart);
  const generatorCpu = ((generatorUse.user + generatorUse.system) / 1000 / (Number(process.hrtime.bigint() - wallStart) / 1e6)) * 100;
  // Deliveries still on their way.
  const deadline = Date.now() + 3_000;
  while (tracker.delivered() < outcome.ok && Date.now() < deadline) await sleep(20);
  const wallSeconds = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const cpuSeconds = Object.fromEntries(
    Object.entries(options.processes).map(([name, pid]) => [name, readCpuSeconds(pid) - cpuBefore[name]!]),
  );
  const cpu = Object.fromEntries(Object.entries(cpuSeconds).map(([name, seconds]) => [name, (seconds / wallSeconds) * 100]));
  const cpuMsPerOp = Object.fromEntries(
    Object.entries(cpuSeconds).map(([name, seconds]) => [name, outcome.ok ? (seconds * 1000) / outcome.ok : Number.NaN]),
  );
  const otherCpu = other.lap();
  const postgresCpu = other.postgresPercent;
  const recording = tracker.end();
  const latency = summarize(recording.latencies);
  const responses = options.takeResponseLatencies?.();
  const deliveredPerSecond = recording.deliveredInWindow / stepSeconds;
  const result: StepResult = {
    offered: rate,
    achieved: outcome.achievedPerSecond,
    deliveredPerSecond,
    latency,
    ...(responses && { responseLatency: summarize(responses) }),
    errors: outcome.failed + outcome.skipped + outcome.unanswered,
    lost: Math.max(0, outcome.ok - recording.delivered),
    cpu,
    cpuMsPerOp,
    generatorCpu,
    otherCpu,
    postgresCpu,
    holds: outcome.achievedPerSecond >= holdShare * rate && deliveredPerSecond >= holdShare * rate && latency.p99 <= holdP99Ms,
    attempts: 1,
    seconds: stepSeconds,
    outcome,
  };
  stepSamples.set(result, Float64Array.from(recording.latencies).sort());
  return result;
}

/** Each step's send → delivery latencies, ascending; kept beside the step so its JSON stays small. */
const stepSamples = new WeakMap<StepResult, Float64Array>();

/** The send → delivery latencies of several steps, pooled: one p99 of every send they made. */
export function pooledLatency(steps: StepResult[]): Summary {
  return summarize(concatSamples(steps));
}

/**
 * Pooled p99 of `a`'s steps ÷ pooled p99 of `b`'s, with a bootstrap interval: `rounds` holds
 * pairs of steps taken back to back ([a, b] per round); the rounds are resampled with replacement
 * `resamples` times and the ratio taken each time. The interval says how much the ratio moves
 * with which rounds happened to be slow.
 */
export function pooledP99Ratio(rounds: [StepResult, StepResult][], { resamples = 1_000, level = 0.9, random = Math.random } = {}) {
  const ratioOf = (picked: [StepResult, StepResult][]) =>
    percentile(concatSamples(picked.map(([a]) => a)).sort(), 99) / percentile(concatSamples(picked.map(([, b]) => b)).sort(), 99);
  const ratios = new Float64Array(resamples);
  for (let index = 0; index < resamples; index++)
    ratios[index] = ratioOf(Array.from(rounds, () => rounds[Math.floor(random() * rounds.length)]!));
  ratios.sort();
  const tail = ((1 - level) / 2) * 100;
  return { ratio: ratioOf(rounds), low: percentile(ratios, tail), high: percentile(ratios, 100 - tail), level };
}

function concatSamples(steps: StepResult[]): Float64Array {
  const parts = steps.map((step) => {
    const samples = stepSamples.get(step);
    if (!samples) throw new Error("pooledLatency: a step without samples (not from runSteps)");
    return samples;
  });
  const pooled = new Float64Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    pooled.set(part, offset);
    offset += part.length;
  }
  return pooled;
}

/** Highest offered rate that held, and whether it was the top of the ladder (the real ceiling may be higher). */
export function ceilingOf(steps: StepResult[], rates: number[]): { ceiling: number | null; lowerBound: boolean } {
  const holding = steps.filter((step) => step.holds).map((step) => step.offered);
  const ceiling = holding.length ? Math.max(...holding) : null;
  return { ceiling, lowerBound: ceiling !== null && ceiling === rates[rates.length - 1] };
}
