import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The arrows between the folders run one way: app → server → lib. lib/ is safe on both sides
 * (the browser bundles it), so neither it nor components/ imports server code; server/ never
 * imports app/ (the Express mounts get the route table from their entry points in scripts/).
 */

const WEB_DIR = path.resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((entry) =>
      entry.isFile() && /\.(ts|tsx|mts|js|mjs)$/.test(entry.name) && !entry.parentPath.includes("node_modules")
        ? [path.join(entry.parentPath, entry.name)]
        : [],
    );
}

/** Every module a file names: static and type imports, re-exports, dynamic imports, requires. */
function importedSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

/** The web/-relative folder a specifier points into (`server/…`), or null for packages. */
function target(file: string, specifier: string): string | null {
  if (specifier.startsWith("@/")) return specifier.slice(2);
  if (specifier.startsWith("."))
    return path
      .relative(WEB_DIR, path.resolve(path.dirname(file), specifier))
      .split(path.sep)
      .join("/");
  return null;
}

function violations(folders: string[], forbidden: string[]): string[] {
  const found: string[] = [];
  for (const folder of folders) {
    for (const file of sourceFiles(path.join(WEB_DIR, folder))) {
      for (const specifier of importedSpecifiers(fs.readFileSync(file, "utf8"))) {
        const into = target(file, specifier);
        if (into && forbidden.some((name) => into === name || into.startsWith(`${name}/`))) {
          found.push(`${path.relative(WEB_DIR, file)} imports ${specifier}`);
        }
      }
    }
  }
  return found;
}

/** Static imports that load code at run time: not `import type`, not `import("…")`. */
function runtimeSpecifiers(source: string): string[] {
  const patterns = [/^\s*(?:import|export)\s(?!type\s)[^'"`;]*?\bfrom\s*["']([^"']+)["']/gm, /^\s*import\s*["']([^"']+)["']/gm];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]!));
}

function resolveSource(from: string, specifier: string): string | null {
  const into = target(from, specifier);
  if (into === null) return null;
  const base = path.join(WEB_DIR, into);
  return (
    ["", ".ts", ".tsx", "/index.ts"].map((ending) => base + ending).find((file) => fs.existsSync(file) && fs.statSync(file).isFile()) ??
    null
  );
}

/** The packages a module loads when it is loaded, through every static import of our own code. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const queue = [path.join(WEB_DIR, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeSpecifiers(fs.readFileSync(file, "utf8"))) {
      const resolved = resolveSource(file, specifier);
      if (resolved) queue.push(resolved);
      else if (!specifier.startsWith(".") && !specifier.startsWith("@/")) packages.set(specifier, path.relative(WEB_DIR, file));
    }
  }
  return packages;
}

describe("optional packages load only in the mode that uses them", () => {
  // Every route and page bundle keeps its own copy of what the composition root loads: node-redis
  // (~0.9 MB) and supabase-js with @supabase/ssr and ws (~1.3 MB) are imported when configured.
  it.each(["server/context.ts", "proxy.ts"])("when %s is loaded, then neither Redis nor Supabase code is", (entry) => {
    const loaded = [...packagesLoadedBy(entry)].filter(([name]) => /^(redis|@redis\/|@supabase\/|ws$)/.test(name));
    expect(loaded.map(([name, by]) => `${name} (imported by ${by})`)).toEqual([]);
  });

  it("when a module imports a package statically, then the walk finds it through our own modules", () => {
    const packages = packagesLoadedBy("server/context.ts");
    expect(packages.get("next/server")).toBe("server/context.ts");
    // context.ts → server/store/postgres.ts → pg
    expect(packages.has("pg")).toBe(true);
  });
});

describe("import arrows", () => {
  it("when a file under lib/ or components/ imports server/ or app/, then this fails", () => {
    expect(violations(["lib", "components"], ["server", "app"])).toEqual([]);
  });

  it("when a file under server/ imports app/, then this fails", () => {
    expect(violations(["server"], ["app"])).toEqual([]);
  });

  it("when imports are written in any form, then the parser sees each", () => {
    const source = [
      'import "server-only";',
      'import type { A } from "@/server/a";',
      "import {",
      "  b,",
      '} from "../server/b";',
      'export * from "./c";',
      'const d = await import("@/app/d");',
    ].join("\n");
    expect(importedSpecifiers(source).sort()).toEqual(["../server/b", "./c", "@/app/d", "@/server/a", "server-only"]);
  });
});
