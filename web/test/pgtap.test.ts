import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyTemplateDataDir } from "./support/db";

// The pgTAP suite (supabase/tests/database) on the embedded PGlite: the same files that
// `npm run test:db` runs with pg_prove on Postgres (and `supabase test db` on Supabase), so every
// database rule is written once and proven on both engines. pgTAP is plain SQL and PL/pgSQL:
// its extension script loads into PGlite as it is.

const TESTS_DIR = path.resolve(import.meta.dirname, "../../supabase/tests/database");
const files = fs
  .readdirSync(TESTS_DIR)
  .filter((file) => file.endsWith(".test.sql"))
  .sort();

/** pgTAP's install script, from the server's extension folder (Debian: postgresql-NN-pgtap). */
function findPgtapScript(): string | undefined {
  const roots = ["/usr/share/postgresql"];
  for (const root of roots) {
    if (!fs.existsSync(root)) continue;
    for (const version of fs.readdirSync(root).sort().reverse()) {
      const dir = path.join(root, version, "extension");
      if (!fs.existsSync(dir)) continue;
      const script = fs
        .readdirSync(dir)
        .filter((file) => /^pgtap--\d+\.\d+\.\d+\.sql$/.test(file))
        .sort()
        .at(-1);
      if (script) return path.join(dir, script);
    }
  }
  return undefined;
}

const pgtapScript = findPgtapScript();
if (!pgtapScript && process.env.CI === "true") throw new Error("CI must run the pgTAP suite on PGlite: install postgresql-NN-pgtap.");
if (!pgtapScript) console.warn("[skip] pgTAP on PGlite: pgTAP is not installed (Debian: postgresql-15-pgtap).");

interface TapResult {
  planned: number | null;
  passed: number;
  failures: string[];
}

/** Reads pgTAP's output lines: the plan, `ok`/`not ok` lines and the diagnostics after a failure. */
function readTap(lines: string[]): TapResult {
  const result: TapResult = { planned: null, passed: 0, failures: [] };
  for (const [index, line] of lines.entries()) {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) result.planned = Number(plan[1]);
    else if (line.startsWith("ok ")) result.passed++;
    else if (line.startsWith("not ok ")) {
      const diagnostics = lines.slice(index + 1).filter((_, i, rest) => rest.slice(0, i + 1).every((l) => l.startsWith("#")));
      result.failures.push([line, ...diagnostics].join("\n"));
    }
  }
  return result;
}

describe.skipIf(!pgtapScript)("pgTAP database tests on the embedded PGlite", () => {
  let db: PGlite;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = copyTemplateDataDir();
    db = await PGlite.create(path.join(dataDir, "db"));
    const script = fs
      .readFileSync(pgtapScript!, "utf8")
      .split("\n")
      .filter((line) => !line.startsWith("\\"))
      .join("\n")
      .replaceAll("@extschema@", "extensions");
    // Where Supabase keeps extensions, on the search path (as `npm run test:db` sets it up).
    // As CREATE EXTENSION … WITH SCHEMA does: the script runs with only that schema on the path.
    await db.exec("create schema if not exists extensions; grant usage on schema extensions to anon, authenticated;");
    await db.exec(`set search_path = extensions; ${script}; set search_path = public, extensions;`);
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(files)("when %s runs, then every assertion passes", async (file) => {
    const sql = fs.readFileSync(path.join(TESTS_DIR, file), "utf8");
    // psql meta-commands would only run under pg_prove: the suite stays plain SQL.
    expect(
      sql.split("\n").filter((line) => line.trimStart().startsWith("\\")),
      "psql meta-commands",
    ).toEqual([]);
    let lines: string[];
    try {
      const results = await db.exec(sql);
      lines = results
        .flatMap((result) => result.rows.map((row) => String(Object.values(row)[0] ?? "")))
        .flatMap((text) => text.split("\n"));
    } catch (error) {
      await db.exec("rollback").catch(() => {});
      throw error;
    }
    const tap = readTap(lines);
    expect(tap.failures).toEqual([]);
    expect(tap.planned, "the file declares a plan").not.toBeNull();
    expect(tap.passed).toBe(tap.planned);
  });
});
