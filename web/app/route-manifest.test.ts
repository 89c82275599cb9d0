import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { HTTP_METHODS } from "@/server/express/route-table";
import { findRoutes, MANIFEST_FILE, renderManifest } from "@/scripts/gen-route-manifest";
import { routeManifest } from "./route-manifest";

const REGENERATE = "app/route-manifest.ts is stale: run `npm run gen:routes -w web`";

describe("the route manifest", () => {
  it("when a route.ts is added or removed, then the manifest lists exactly the route files", () => {
    const listed = routeManifest.map(({ path, file }) => ({ path, file }));
    const onDisk = findRoutes().map(({ path, file }) => ({ path, file }));
    expect(listed, REGENERATE).toEqual(onDisk);
    // The mounts must serve the API at least; a sanity check that the walk found it.
    expect(listed.filter(({ path }) => path.startsWith("/api/")).length).toBeGreaterThan(5);
  });

  it("when a route module exports an HTTP method, then the manifest lists it, and nothing else", () => {
    for (const { file, methods, module } of routeManifest) {
      const exported = HTTP_METHODS.filter((method) => typeof (module as Record<string, unknown>)[method] === "function");
      expect([file, [...methods]], REGENERATE).toEqual([file, exported]);
    }
  });

  it("when the generator runs, then it writes the file as committed", async () => {
    expect(fs.readFileSync(MANIFEST_FILE, "utf8"), REGENERATE).toBe(await renderManifest());
  });
});
