import { readFileSync } from "node:fs";

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

/** Measures a process's CPU use over an interval as a percentage of one core. */
export function cpuMeter(pid: number) {
  let lastCpu = readCpuSeconds(pid);
  let lastAt = process.hrtime.bigint();
  return {
    /** Percent of one core since the previous call (or since creation). */
    lap(): number {
      const cpu = readCpuSeconds(pid);
      const at = process.hrtime.bigint();
      const percent = ((cpu - lastCpu) / (Number(at - lastAt) / 1e9)) * 100;
      lastCpu = cpu;
      lastAt = at;
      return percent;
    },
  };
}

/** CPU seconds the whole machine spent busy so far (all cores), from /proc/stat. */
export function readMachineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

/**
 * CPU used by everything else on the machine over an interval (percent of one core): the
 * machine's busy time minus the processes we account for. Other work skews a benchmark; this
 * says by how much.
 */
export function otherCpuMeter(ownPids: number[]) {
  const own = () => ownPids.reduce((sum, pid) => sum + safeCpu(pid), 0) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  let lastBusy = readMachineBusySeconds();
  let lastOwn = own();
  let lastAt = process.hrtime.bigint();
  return {
    lap(): number {
      const busy = readMachineBusySeconds();
      const mine = own();
      const at = process.hrtime.bigint();
      const percent = (((busy - lastBusy) - (mine - lastOwn)) / (Number(at - lastAt) / 1e9)) * 100;
      lastBusy = busy;
      lastOwn = mine;
      lastAt = at;
      return Math.max(0, percent);
    },
  };
}

function safeCpu(pid: number): number {
  try {
    return readCpuSeconds(pid);
  } catch {
    return 0; // exited
  }
}
