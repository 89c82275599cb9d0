import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { devSecretsPath, loadDevSecrets } from "../src/dev-secrets.js";
import { parseEnv } from "../src/env.js";

const MODULE = fileURLToPath(new URL("../src/dev-secrets.ts", import.meta.url));
const roots: string[] = [];
const newRoot = () => {
  const root = mkdtempSync(join(tmpdir(), "dev-secrets-"));
  roots.push(root);
  return root;
};

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A separate Node process that loads (or makes) the secrets and prints them. */
function loadInProcess(root: string): Promise<string> {
  const script = `import { loadDevSecrets } from ${JSON.stringify(MODULE)}; process.stdout.write(JSON.stringify(loadDevSecrets(${JSON.stringify(root)})));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk));
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe("development secrets", () => {
  it("when no file exists, then random secrets are made once, private to the owner, and read back the same", () => {
    const root = newRoot();
    const first = loadDevSecrets(root);

    expect(first.authJwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(first.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(statSync(devSecretsPath(root)).mode & 0o777).toBe(0o600);
    expect(loadDevSecrets(root)).toEqual(first);
    // Another checkout gets its own.
    expect(loadDevSecrets(newRoot()).authJwtSecret).not.toBe(first.authJwtSecret);
    // No temporary file left behind.
    expect(readdirSync(join(root, ".data"))).toEqual(["dev-secrets.json"]);
  });

  it(
    "when several processes start at once on a fresh checkout, then they all end up with the same secrets",
    { timeout: 30_000 },
    async () => {
      const root = newRoot();
      const results = await Promise.all(Array.from({ length: 4 }, () => loadInProcess(root)));

      expect(new Set(results).size).toBe(1);
      expect(JSON.parse(results[0]!)).toEqual(JSON.parse(readFileSync(devSecretsPath(root), "utf8")));
    },
  );

  it("when the file is corrupt, then loading fails naming the file", () => {
    const root = newRoot();
    mkdirSync(join(root, ".data"));
    writeFileSync(devSecretsPath(root), "{ not json");

    expect(() => loadDevSecrets(root)).toThrow(/dev-secrets\.json is not a valid development secrets file/);
  });

  it("when the socket server's env has no secrets, then it uses the checkout's file (the web app reads the same)", () => {
    const root = newRoot();
    const { env, devDefaults } = parseEnv({}, { devSecrets: () => loadDevSecrets(root) });
    const stored = JSON.parse(readFileSync(devSecretsPath(root), "utf8"));

    expect(devDefaults).toEqual(["AUTH_JWT_SECRET", "WEBHOOK_SECRET"]);
    expect(env.authJwtSecret).toBe(stored.authJwtSecret);
    expect(env.webhookSecrets).toEqual([stored.webhookSecret]);
  });
});
