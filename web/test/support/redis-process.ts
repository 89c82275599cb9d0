import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { freePort } from "./socket-server-process";

/** The machine's Redis for the suites that need one (`.ci/run` sets it). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
export const HAS_REDIS_SERVER = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;

if (!TEST_REDIS_URL && process.env.CI === "true") {
  throw new Error("CI must run the Redis suites: set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379).");
}

export function noteRedisSkip(suite: string): void {
  if (!TEST_REDIS_URL || !HAS_REDIS_SERVER) console.warn(`[skip] ${suite}: needs TEST_REDIS_URL and a redis-server binary.`);
}

/** A private redis-server on a free port (no persistence), so a test may stop and restart it. */
export async function startPrivateRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const deadline = Date.now() + 5_000;
    while (spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.trim() !== "PONG") {
      if (Date.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
