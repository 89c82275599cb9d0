import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openEmbeddedDatabase } from "@/server/store/pglite";
import { openPostgres } from "@/server/store/postgres";
import { createSqlChatStore } from "@/server/store/sql-chat-store";
import type { SqlClient } from "@/server/store/sql/client";
import { migrate } from "@/server/store/sql/migrate";
import { createUser, MIGRATIONS_DIR } from "./support/db";
import { notePostgresSkip, TEST_DATABASE_URL } from "./support/postgres";

// The groups migration on a database that already holds 1:1 chats: nothing is lost, and every
// existing conversation answers exactly as before (now with both users as members). The later
// migrations run too: the message lifecycle's turns today's messages into the change stream.

const GROUPS_MIGRATION = "20261127000300_groups.sql";
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** The migrations before the groups one, in a folder of their own. */
function migrationsBeforeGroups(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-migrations-"));
  for (const file of fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql") && f < GROUPS_MIGRATION)) {
    fs.copyFileSync(path.join(MIGRATIONS_DIR, file), path.join(dir, file));
  }
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openEmbedded(migrationsDir: string): Promise<SqlClient> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "chat-migration-test-"));
  const db = await openEmbeddedDatabase({ dataDir, migrationsDir, log: () => {} });
  cleanups.push(async () => {
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return db;
}

async function openScratchPostgres(migrationsDir: string): Promise<SqlClient> {
  const name = `chat_migration_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  const db = await openPostgres({ connectionString: url.toString(), migrationsDir, max: 4, log: () => {} });
  cleanups.push(async () => {
    await db.close();
    const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${name} with (force)`);
    await cleanup.end();
  });
  return db;
}

const drivers = [
  { name: "embedded PGlite", open: openEmbedded, skip: false },
  { name: "Postgres (pg)", open: openScratchPostgres, skip: !TEST_DATABASE_URL },
];
notePostgresSkip("groups migration on Postgres");

describe.each(drivers)("groups migration on $name", ({ open, skip }) => {
  it.skipIf(skip)(
    "when 1:1 chats exist before the migration, then each keeps its messages, read positions and list entry, with both users as members",
    async () => {
      const db = await open(migrationsBeforeGroups());
      const [ann, ben, cat] = [
        await createUser(db, "ann@m.example"),
        await createUser(db, "ben@m.example"),
        await createUser(db, "cat@m.example"),
      ];
      await asUser(db, ann, "select * from public.send_message($1, $2, $3)", [ben, "hi ben", randomUUID()]);
      await asUser(db, ben, "select * from public.send_message($1, $2, $3)", [ann, "hi ann", randomUUID()]);
      await asUser(db, cat, "select * from public.send_message($1, $2, $3)", [ann, "hello from cat", randomUUID()]);
      await asUser(db, ann, "select * from public.mark_read($1, $2)", [ben, 2]);
      const messagesBefore = await db.query(
        "select id, conversation_id, seq, sender_id, recipient_id, content from public.messages order by id",
      );
      const readsBefore = await db.query("select conversation_id, user_id, last_read_seq from public.conversation_reads order by 1, 2");

      const { applied } = await migrate(db, MIGRATIONS_DIR);
      expect(applied).toEqual(
        fs
          .readdirSync(MIGRATIONS_DIR)
          .filter((f) => f.endsWith(".sql") && f >= GROUPS_MIGRATION)
          .sort(),
      );

      expect(await db.query("select id, conversation_id, seq, sender_id, recipient_id, content from public.messages order by id")).toEqual(
        messagesBefore,
      );
      expect(await db.query("select conversation_id, user_id, last_read_seq from public.conversation_reads order by 1, 2")).toEqual(
        readsBefore,
      );
      const members = await db.query<{ pair: string[] }>(
        `select array_agg(cm.user_id::text order by cm.user_id) as pair from public.conversation_members cm
         join public.conversations c on c.id = cm.conversation_id
         where c.kind = 'direct' and cm.role = 'member' group by cm.conversation_id order by 1`,
      );
      expect(members.map((m) => m.pair)).toEqual([[ann, ben].sort(), [ann, cat].sort()].sort());

      const list = await createSqlChatStore(db).listConversations(ann, 100);
      expect(list.map((c) => [c.kind, c.peer?.id, c.lastMessage.content, c.unreadCount, c.lastReadSeq, c.peerLastReadSeq])).toEqual([
        ["direct", cat, "hello from cat", 1, 0, 0],
        ["direct", ben, "hi ann", 0, 2, 0],
      ]);
      // Still one conversation per pair: the next message lands in the migrated one.
      const next = await createSqlChatStore(db).insertMessage(ben, { recipientId: ann, content: "after", clientId: randomUUID() });
      expect(next.message).toMatchObject({ conversationId: list[1]!.id, seq: 3, pos: 3 });
      // The change stream starts with every earlier message, at pos = seq, and goes on without a gap.
      const stream = await createSqlChatStore(db).listChanges(ann, { peerId: ben, after: 0, limit: 100 });
      expect(stream.changes.map((c) => [c.pos, c.type, c.message.content])).toEqual([
        [1, "message.created", "hi ben"],
        [2, "message.created", "hi ann"],
        [3, "message.created", "after"],
      ]);
      expect(stream.lastPos).toBe(3);
    },
    // Every migration from scratch on PGlite, on a busy machine.
    120_000,
  );
});

function asUser(db: SqlClient, userId: string, sql: string, params: unknown[]) {
  const claims = JSON.stringify({ sub: userId, role: "authenticated" }).replace(/'/g, "''");
  return db.transaction((tx) => tx.query(sql, params), {
    prelude: `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '${claims}', true)`,
  });
}
