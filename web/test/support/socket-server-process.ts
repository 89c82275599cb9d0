import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const SOCKET_SERVER_ENTRY = path.resolve(import.meta.dirname, "../../../socket-server/src/index.ts");

/** The real socket server in its own process, as `npm run dev:socket` starts it. */
export async function startSocketServerProcess(env: Record<string, string>) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", SOCKET_SERVER_ENTRY], {
    cwd: path.dirname(SOCKET_SERVER_ENTRY),
    env: { ...process.env, NODE_ENV: "test", SOCKET_HOST: "127.0.0.1", SOCKET_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`socket server exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`socket server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(name);
    await exited;
  };
  return {
    url,
    output: () => output,
    /** Graceful: SIGTERM, as a deploy would. */
    stop: () => signal("SIGTERM"),
    /** A crash: SIGKILL, nothing cleaned up. */
    kill: () => signal("SIGKILL"),
  };
}
