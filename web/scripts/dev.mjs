// `npm run dev`: `next dev` on 127.0.0.1, so a laptop on a shared network does not serve the app
// (and its dev mailbox) to everyone. HOST, from the shell or the repo-root .env, says otherwise
// (e.g. HOST=0.0.0.0 to test from a phone). PORT moves it off 3000. Extra arguments go to `next dev`.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nextEnv from "@next/env";

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
nextEnv.loadEnvConfig(path.resolve(webDir, ".."), true);
const host = process.env.HOST?.trim() || "127.0.0.1";
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const child = spawn(
  process.execPath,
  [nextBin, "dev", "--port", process.env.PORT?.trim() || "3000", "--hostname", host, ...process.argv.slice(2)],
  {
    cwd: webDir,
    stdio: "inherit",
  },
);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
