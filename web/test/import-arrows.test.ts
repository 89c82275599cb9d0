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
