import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";
import type { SqlClient } from "@/server/store/sql/client";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import { copyTemplateDataDir, MIGRATIONS_DIR } from "./support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "./support/postgres";

const WEB_DIR = path.resolve(import.meta.dirname, "..");
const ANN = "5eed0000-0000-4000-8000-00000000a001";

/** `npm run seed`, as a user runs it (the web workspace's script), with `env` on top. */
async function runSeed(env: Record<string, string>) {
  const { stdout } = await promisify(execFile)(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/seed.ts"], {
    cwd: WEB_DIR,
    env: { ...process.env, NODE_ENV: "development", ...env },
    timeout: 120_000,
  });
  return stdout;
}

/** What Ann sees when she opens the chat. */
async function annsChat(db: SqlClient) {
  const conversations = await createSqlChatStore(db).listConversations(ANN, 100);
  return conversations.map((c) => ({ peer: c.peer?.email, name: c.peer?.displayName, unread: c.unreadCount, last: c.lastMessage.content }));
}

const expectedChat = [
  { peer: "dev@example.com", name: null, unread: 1, last: "Welcome to the demo. Everything here was put in by supabase/seed.sql." },
  { peer: "cara@example.com", name: "Cara Novak", unread: 1, last: "Thanks! It is the one about read receipts." },
  { peer: "ben@example.com", name: "Ben Ortiz", unread: 0, last: "None so far. Messages are flowing 🎉" },
];

describe("npm run seed", () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup) await step();
  });

  it(
    "when run twice on the embedded database, then Ann opens three populated conversations, nothing doubled",
    { timeout: 180_000 },
    async () => {
      const dataDir = copyTemplateDataDir();
      cleanup.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
      expect(await runSeed({ DATA_DIR: dataDir })).toContain(
        "Demo users: ann@example.com, ben@example.com, cara@example.com, dev@example.com.",
      );
      await runSeed({ DATA_DIR: dataDir });

      const db = await openEmbeddedDatabase({ dataDir, migrationsDir: MIGRATIONS_DIR, log: () => {} });
      cleanup.unshift(() => db.close());
      expect(await annsChat(db)).toEqual(expectedChat);
      const [{ count }] = (await db.query<{ count: number }>("select count(*)::int as count from public.messages")) as [{ count: number }];
      expect(count).toBe(9);
    },
  );

  notePostgresSkip("npm run seed on Postgres");
  it.skipIf(!TEST_DATABASE_URL)("when DATABASE_URL is set, then the same demo lands in that Postgres", { timeout: 180_000 }, async () => {
    const { url, close } = await openPostgresTestDatabase();
    cleanup.push(close);
    await runSeed({ DATABASE_URL: url });
    await runSeed({ DATABASE_URL: url });
    const db = await openPostgres({ connectionString: url, migrationsDir: MIGRATIONS_DIR, migrateOnStart: false, max: 2 });
    cleanup.unshift(() => db.close());
    expect(await annsChat(db)).toEqual(expectedChat);
  });
});
