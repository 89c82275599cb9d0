import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { openEmbeddedDatabase } from "../../server/store/pglite";

/**
 * Creates and migrates one embedded database; every test file starts from a copy of it,
 * because creating a PGlite data folder takes seconds and copying one takes milliseconds.
 */
export default async function setup(project: TestProject) {
  const templateDir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-template-"));
  const migrationsDir = path.resolve(import.meta.dirname, "../../../supabase/migrations");
  const db = await openEmbeddedDatabase({ dataDir: templateDir, migrationsDir, log: () => {} });
  await db.close();
  project.provide("templateDataDir", templateDir);
  return () => fs.rmSync(templateDir, { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    templateDataDir: string;
  }
}
