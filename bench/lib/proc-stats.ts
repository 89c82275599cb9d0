import { readdirSync, readFileSync } from "node:fs";

// Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream kernel.
const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function readRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at state (field 3).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds the whole machine spent busy so far (all cores), from /proc/stat. */
export function readMachineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds used so far by every process whose command name is `name` (e.g. the Postgres cluster's). */
/** CPU seconds of each process with this command name, by pid. */
export function readCpuSecondsByPid(name: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) byPid.set(Number(entry), readCpuSeconds(Number(entry)));
    } catch {
      // Gone meanwhile.
    }
  }
  return byPid;
}

/**
 * The CPU processes of that name used between two reads. IMPORTANT: by pid, not as a difference
 * of totals: a Postgres backend that exits meanwhile (a pool closing an idle connection) takes
 * its whole lifetime's CPU out of the total, which read as seconds of "other" work.
 */
function cpuSecondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, now] of after) seconds += now - (before.get(pid) ?? 0);
  return seconds;
}

/**
 * Splits the machine's CPU over an interval (percent of one core): with `separatePostgres`,
 * Postgres (the whole local cluster: part of the system under test where a benchmark uses it),
 * and everything else that is not one of the processes we account for. Other work skews a benchmark; `other` says by how much.
 */
export function otherCpuMeter(ownPids: number[], { separatePostgres = false } = {}) {
  const own = () => {
    const usage = process.cpuUsage();
    return ownPids.reduce((sum, pid) => sum + safeCpu(pid), 0) + (usage.user + usage.system) / 1e6;
  };
  let lastBusy = readMachineBusySeconds();
  let lastOwn = own();
  const readPostgres = () => (separatePostgres ? readCpuSecondsByPid("postgres") : new Map<number, number>());
  let lastPostgres = readPostgres();
  let lastAt = process.hrtime.bigint();
  return {
    /** Percent of one core used by other work since the previous lap; `postgres()` then has Postgres' share. */
    lap(): number {
      const busy = readMachineBusySeconds();
      const mine = own();
      const postgres = readPostgres();
      const seconds = Number(process.hrtime.bigint() - lastAt) / 1e9;
      const postgresSeconds = cpuSecondsBetween(lastPostgres, postgres);
      this.postgresPercent = Math.max(0, (postgresSeconds / seconds) * 100);
      const percent = ((busy - lastBusy - (mine - lastOwn) - postgresSeconds) / seconds) * 100;
      lastBusy = busy;
      lastOwn = mine;
      lastPostgres = postgres;
      lastAt = process.hrtime.bigint();
      return Math.max(0, percent);
    },
    postgresPercent: 0,
  };
}

function safeCpu(pid: number): number {
  try {
    return readCpuSeconds(pid);
  } catch {
    return 0; // exited
  }
}
