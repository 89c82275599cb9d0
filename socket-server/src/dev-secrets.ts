import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

/**
 * Development secrets, random per checkout: made once in `<repo root>/.data/dev-secrets.json`
 * and read by both processes (the web app signs with them, the socket server verifies), so
 * `npm run dev` needs no env file and no secret is a constant in the source.
 * Used only when AUTH_JWT_SECRET / WEBHOOK_SECRET are unset outside production.
 */
export interface DevSecrets {
  /** HS256 secret for access tokens (AUTH_JWT_SECRET). */
  authJwtSecret: string;
  /** `whsec_<base64>` for pushes (WEBHOOK_SECRET). */
  webhookSecret: string;
}

const devSecretsSchema = z.object({
  authJwtSecret: z.string().min(32),
  webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/),
});

/** Where the file lives for a repo root. */
export function devSecretsPath(repoRoot: string): string {
  return path.join(repoRoot, ".data", "dev-secrets.json");
}

/**
 * Reads the checkout's development secrets, creating them on first use.
 * IMPORTANT: both processes start at once under `npm run dev`. The file is written whole under a
 * temporary name (mode 0600) and then hard-linked into place, which fails if it already exists:
 * whoever links first wins, and the other reads the winner's file. Nobody ever reads half a file.
 * @throws Error naming the file when it exists but is not valid (delete it to get new secrets).
 */
export function loadDevSecrets(repoRoot: string): DevSecrets {
  const file = devSecretsPath(repoRoot);
  const existing = readDevSecrets(file);
  if (existing) return existing;

  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fresh: DevSecrets = {
    authJwtSecret: randomBytes(32).toString("base64url"),
    webhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
  };
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temporary, file);
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another process made it a moment ago: use theirs.
    const theirs = readDevSecrets(file);
    if (!theirs) throw invalidFile(file);
    return theirs;
  } finally {
    unlinkSync(temporary);
  }
}

function readDevSecrets(file: string): DevSecrets | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidFile(file);
  }
  const parsed = devSecretsSchema.safeParse(value);
  if (!parsed.success) throw invalidFile(file);
  return parsed.data;
}

const invalidFile = (file: string) =>
  new Error(`${file} is not a valid development secrets file. Delete it and start again: new secrets are made.`);
