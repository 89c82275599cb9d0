import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { JWT_SECRET, WEBHOOK_SECRET } from "./helpers.js";

const CWD = fileURLToPath(new URL("..", import.meta.url));

/** Runs `src/index.ts` as its own process until it exits or prints "listening"; returns what it printed. */
async function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string; kill(): void }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], {
    cwd: CWD,
    // REDIS_URL and METRICS_TOKEN blank: a developer's shell or .env must not decide the outcome.
    env: { ...process.env, REDIS_URL: "", METRICS_TOKEN: "", SOCKET_HOST: "", HOST: "", LOG_LEVEL: "info", LOG_PRETTY: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listening = new Promise<void>((resolve) => {
    const record = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"listening"')) resolve();
    };
    child.stdout.on("data", record);
    child.stderr.on("data", record);
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const code = await Promise.race([exited, listening.then(() => undefined)]);
  return { code: code ?? null, output, kill: () => child.kill("SIGKILL") };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("the server process at start-up", () => {
  it("when METRICS_TOKEN is missing in production, then it exits 1 naming METRICS_TOKEN", { timeout: 15_000 }, async () => {
    const run = await runServer({
      NODE_ENV: "production",
      AUTH_JWT_SECRET: JWT_SECRET,
      WEBHOOK_SECRET,
      SOCKET_PORT: String(await freePort()),
    });

    expect(run.code).toBe(1);
    expect(run.output).toContain("METRICS_TOKEN: is required in production");
  });

  it("when no host is set in development, then it listens on 127.0.0.1 only", { timeout: 15_000 }, async () => {
    const port = await freePort();
    const run = await runServer({ NODE_ENV: "development", AUTH_JWT_SECRET: JWT_SECRET, WEBHOOK_SECRET, SOCKET_PORT: String(port) });
    try {
      expect(run.code).toBeNull();
      expect(run.output).toContain(`"url":"http://127.0.0.1:${port}"`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      run.kill();
    }
  });
});
