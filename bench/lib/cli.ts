/**
 * Command-line flags shared by every benchmark: `--quick`, `--cpu-prof`, and
 * `--name=value` overrides such as `--sockets=500` or `--rates=500,1000`.
 */
export interface Args {
  /** A shrunk run for smoke tests (about a minute per benchmark). */
  quick: boolean;
  /** Run the server under test with `--cpu-prof` (profiles land in bench/results/profiles). */
  cpuProf: boolean;
  has(name: string): boolean;
  string(name: string): string | undefined;
  number(name: string, fallback: number): number;
  numbers(name: string, fallback: number[]): number[];
}

export function parseArgs(argv: string[] = process.argv.slice(2)): Args {
  const values = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`Unknown argument "${arg}" (flags look like --quick or --sockets=500)`);
    values.set(match[1]!, match[2] ?? "true");
  }
  const number = (name: string, fallback: number) => {
    const value = values.get(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} must be a positive number`);
    return parsed;
  };
  return {
    quick: values.get("quick") === "true",
    cpuProf: values.get("cpu-prof") === "true",
    has: (name) => values.has(name),
    string: (name) => values.get(name),
    number,
    numbers(name, fallback) {
      const value = values.get(name);
      if (value === undefined) return fallback;
      const list = value.split(",").map(Number);
      if (list.some((item) => !Number.isFinite(item) || item <= 0))
        throw new Error(`--${name} must be a comma-separated list of positive numbers`);
      return list;
    },
  };
}
