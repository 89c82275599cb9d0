// `npm run seed`: puts supabase/seed.sql's demo users and conversations into the database the
// web app would open (the embedded one in DATA_DIR, or DATABASE_URL). On Supabase the CLI runs
// the same file (`supabase db reset`).
import fs from "node:fs/promises";
import path from "node:path";
import nextEnv from "@next/env";
import { ConfigError, findRepoRoot, getEnv } from "@/server/env";
import { DataDirLockedError, openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";

const root = findRepoRoot();
const SEED_FILE = path.join(root, "supabase", "seed.sql");
// The same .env the web app reads (see next.config.ts).
nextEnv.loadEnvConfig(root, process.env.NODE_ENV !== "production");

async function main(): Promise<number> {
  const env = getEnv();
  if (env.supabase) {
    console.error("Supabase mode: seed with the Supabase CLI (`supabase db reset` runs supabase/seed.sql).");
    return 1;
  }
  const db = env.databaseUrl
    ? await openPostgres({ connectionString: env.databaseUrl, migrationsDir: env.migrationsDir, log: () => {} })
    : await openEmbeddedDatabase({ dataDir: env.dataDir, migrationsDir: env.migrationsDir, log: () => {} });
  try {
    await db.exec(await fs.readFile(SEED_FILE, "utf8"));
    const users = await db.query<{ email: string }>("select email from public.profiles where id::text like '5eed0000-%' order by email");
    console.log(`Seeded ${env.databaseUrl ? "the DATABASE_URL database" : `the embedded database in ${env.dataDir}`}.`);
    console.log(`Demo users: ${users.map((user) => user.email).join(", ")}.`);
    console.log(`Run \`npm run dev\`, open ${env.appUrl}/login and sign in as ann@example.com (the link is in the dev mailbox).`);
    return 0;
  } finally {
    await db.close();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof ConfigError || error instanceof DataDirLockedError) {
    console.error(error.message);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
