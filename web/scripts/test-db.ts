// `npm run test:db`: the pgTAP suite in supabase/tests/database (what `supabase test db` runs),
// here with pg_prove against a scratch database on a local Postgres, migrated by the app's own
// runner (the shim stands in for what Supabase provides) with the pgtap extension created.
//
// Needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) and pg_prove with the
// pgtap extension (Debian: postgresql-15-pgtap, libtap-parser-sourcehandler-pgtap-perl).
// Without them it skips with a note, except in CI, where that is a failure.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { findRepoRoot } from "@/server/env";
import { withScratchDatabase } from "./scratch-database";

const root = findRepoRoot();
const TESTS_DIR = path.join(root, "supabase", "tests", "database");
const inCi = process.env.CI === "true";

function skip(reason: string): number {
  if (inCi) {
    console.error(`test:db: ${reason} (CI must run the database tests).`);
    return 1;
  }
  console.warn(`[skip] pgTAP database tests: ${reason}.`);
  return 0;
}

async function main(): Promise<number> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) return skip("no TEST_DATABASE_URL (a Postgres server) is set");
  if (spawnSync("pg_prove", ["--version"], { stdio: "ignore" }).status !== 0) return skip("pg_prove is not installed");

  let extensionMissing: string | undefined;
  const code = await withScratchDatabase(
    serverUrl,
    "chat_pgtap",
    async (url) => {
      if (extensionMissing) return -1;
      const files = fs
        .readdirSync(TESTS_DIR)
        .filter((file) => file.endsWith(".test.sql"))
        .sort();
      const env = {
        ...process.env,
        PGHOST: url.hostname,
        PGPORT: url.port || "5432",
        PGUSER: decodeURIComponent(url.username) || "postgres",
        PGPASSWORD: decodeURIComponent(url.password),
        PGDATABASE: url.pathname.slice(1),
        PGOPTIONS: "-c search_path=public,extensions",
      };
      return new Promise<number>((resolve, reject) => {
        const prove = spawn("pg_prove", ["--ext", ".sql", ...files], { cwd: TESTS_DIR, env, stdio: "inherit" });
        prove.once("error", reject);
        prove.once("exit", (exitCode) => resolve(exitCode ?? 1));
      });
    },
    async (db) => {
      try {
        // Where Supabase keeps it: the extensions schema, on the search path.
        await db.exec(
          "create schema if not exists extensions; create extension if not exists pgtap with schema extensions; grant usage on schema extensions to anon, authenticated",
        );
      } catch (error) {
        extensionMissing = (error as Error).message;
      }
    },
  );
  return extensionMissing ? skip(`the pgtap extension is not available on this server (${extensionMissing})`) : code;
}

process.exitCode = await main();
