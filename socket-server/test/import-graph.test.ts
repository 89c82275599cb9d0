import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// Arrows run one way: no module of src/ reaches itself again through its imports (type-only
// imports count: they are arrows too), app.ts is imported only by the entry point, and the
// contract, which browsers bundle, imports nothing but zod.
const SRC = fileURLToPath(new URL("../src/", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Each file of src/ (relative, `/`-separated) with what it imports: files of src/ and package names. */
function importGraph(): Map<string, { local: string[]; packages: string[] }> {
  const graph = new Map<string, { local: string[]; packages: string[] }>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const local: string[] = [];
    const packages: string[] = [];
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) {
        packages.push(fileName);
        continue;
      }
      const target = path.resolve(path.dirname(file), fileName).replace(/\.js$/, ".ts");
      local.push(path.relative(SRC, target).split(path.sep).join("/"));
    }
    graph.set(path.relative(SRC, file).split(path.sep).join("/"), { local, packages });
  }
  return graph;
}

/** Every cycle, each as the path that closes it (`a → b → a`), found by depth-first search. */
function findCycles(graph: Map<string, { local: string[] }>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "visiting") {
      cycles.push([...stack.slice(stack.indexOf(file)), file].join(" → "));
      return;
    }
    state.set(file, "visiting");
    stack.push(file);
    for (const next of graph.get(file)?.local ?? []) visit(next);
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) visit(file);
  return cycles;
}

describe("socket-server/src import graph", () => {
  const graph = importGraph();

  it("when the modules are read, then every relative import names a file that exists", () => {
    const missing = [...graph].flatMap(([file, { local }]) => local.filter((target) => !graph.has(target)).map((t) => `${file} → ${t}`));
    expect(missing).toEqual([]);
  });

  it("when the imports are followed, then no module reaches itself again", () => {
    expect(findCycles(graph)).toEqual([]);
  });

  it("when the cycle check meets a circle, then it reports it", () => {
    const circle = new Map([
      ["a.ts", { local: ["b.ts"] }],
      ["b.ts", { local: ["c.ts"] }],
      ["c.ts", { local: ["a.ts"] }],
    ]);
    expect(findCycles(circle)).toEqual(["a.ts → b.ts → c.ts → a.ts"]);
  });

  it("when anything imports app.ts, then it is the entry point", () => {
    const importers = [...graph].filter(([, { local }]) => local.includes("app.ts")).map(([file]) => file);
    expect(importers).toEqual(["index.ts"]);
  });

  it("when the contract is bundled for browsers, then it imports only zod and itself", () => {
    const contract = [...graph].filter(([file]) => file.startsWith("contract/"));
    expect(contract.length).toBeGreaterThan(0);
    for (const [file, { local, packages }] of contract) {
      expect({ file, packages: packages.filter((name) => name !== "zod") }).toEqual({ file, packages: [] });
      expect({ file, local: local.filter((target) => !target.startsWith("contract/")) }).toEqual({ file, local: [] });
    }
  });
});
