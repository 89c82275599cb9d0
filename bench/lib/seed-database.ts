/**
 * Seeds users, sessions and (optionally) one long conversation straight into the database,
 * before the web app starts: no magic links, no API. Opens the database the way the web app
 * does (`openEmbeddedDatabase` / `openPostgres`, which also migrate it), so the schema is the
 * product's own. Run as its own process from web/ (tsconfig paths) with
 * `node --conditions=react-server --import tsx` (`server-only` resolves to a no-op), via
 * `seedDatabase()` in bench/lib/web-app.ts: PGlite allows one process per data folder, and
 * this one exits before `next start`.
 *
 *   seed-database.ts <spec.json> <result.json>
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

// The slice of web/server/store/sql/client.ts used here (declared, not imported: web/ is
// type-checked with its own bundler settings).
interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
}
interface SqlClient extends SqlExecutor {
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
type OpenEmbedded = (options: { dataDir: string; migrationsDir: string; log?: (line: string) => void }) => Promise<SqlClient>;
type OpenPostgres = (options: {
  connectionString: string;
  migrationsDir: string;
  max?: number;
  log?: (line: string) => void;
}) => Promise<SqlClient>;

export interface SeedUser {
  id: string;
  email: string;
  /** sha256 hex of the `chat_session` cookie value. */
  tokenHash: string;
}

export interface SeedSpec {
  mode: "embedded" | "postgres";
  /** The repo (or snapshot) whose web/ opens the database. */
  sourceRoot: string;
  dataDir?: string;
  databaseUrl?: string;
  migrationsDir: string;
  users: SeedUser[];
  /** One conversation between two of the users with `messages` rows. */
  history?: { userA: string; userB: string; messages: number };
}

export interface SeedResult {
  users: number;
  seconds: number;
  historySeconds?: number;
  conversationId?: string;
}

const CHUNK = 500;

async function seedUsers(db: SqlClient, users: SeedUser[]): Promise<void> {
  for (let start = 0; start < users.length; start += CHUNK) {
    const chunk = users.slice(start, start + CHUNK);
    // profiles rows come from the on_auth_user_created trigger.
    await db.query(
      `insert into auth.users (id, email) values ${chunk.map((_, i) => `($${i * 2 + 1}::uuid, $${i * 2 + 2})`).join(", ")}`,
      chunk.flatMap((user) => [user.id, user.email]),
    );
    await db.query(
      `insert into embedded_auth.sessions (user_id, token_hash, expires_at)
       values ${chunk.map((_, i) => `($${i * 2 + 1}::uuid, $${i * 2 + 2}, now() + interval '1 day')`).join(", ")}`,
      chunk.flatMap((user) => [user.id, user.tokenHash]),
    );
  }
}

/**
 * Inserts the conversation and its messages with explicit seq in one statement, and their
 * `message.created` changes as the lifecycle migration backfills them (pos = seq).
 * IMPORTANT: `session_replication_role = replica` skips the per-row position trigger (and FK
 * checks); last_seq and last_pos are set to match, so later sends and changes continue both.
 */
async function seedHistory(db: SqlClient, { userA, userB, messages }: NonNullable<SeedSpec["history"]>): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query("set local session_replication_role = replica");
    await tx.query("set local synchronous_commit = off");
    // --source may name a commit from before groups (no members table) or the change stream (no pos).
    const [schema] = await tx.query<{ members: boolean; changeStream: boolean }>(
      `select to_regclass('public.conversation_members') is not null as "members",
              exists (select 1 from information_schema.columns
                      where table_schema = 'public' and table_name = 'messages' and column_name = 'pos') as "changeStream"`,
    );
    const changeStream = schema!.changeStream;
    const [conversation] = await tx.query<{ id: string }>(
      `insert into public.conversations (user_a, user_b, last_seq, ${changeStream ? "last_pos, " : ""}last_message_at)
       values (least($1::uuid, $2::uuid), greatest($1::uuid, $2::uuid), $3, ${changeStream ? "$3, " : ""}now()) returning id`,
      [userA, userB, messages],
    );
    await tx.query(
      `insert into public.messages (conversation_id, seq, ${changeStream ? "pos, " : ""}sender_id, recipient_id, content, client_id, created_at)
       select $1::uuid, g, ${changeStream ? "g, " : ""}
              case when g % 2 = 0 then $2::uuid else $3::uuid end,
              case when g % 2 = 0 then $3::uuid else $2::uuid end,
              'history message number ' || g, gen_random_uuid(), now() - make_interval(secs => $4::int - g)
       from generate_series(1, $4::int) g`,
      [conversation!.id, userA, userB, messages],
    );
    // Members: what the groups migration's trigger adds for a direct conversation (triggers are off here).
    if (schema!.members) {
      await tx.query(
        `insert into public.conversation_members (conversation_id, user_id, role, joined_at) values ($1::uuid, $2::uuid, 'member', now()), ($1::uuid, $3::uuid, 'member', now())`,
        [conversation!.id, userA, userB],
      );
    }
    if (changeStream) {
      await tx.query(
        `insert into public.conversation_changes (conversation_id, pos, type, message_id, actor_id, created_at)
       select m.conversation_id, m.pos, 'message.created', m.id, m.sender_id, m.created_at
       from public.messages m where m.conversation_id = $1::uuid`,
        [conversation!.id],
      );
    }
    return conversation!.id;
  });
}

async function main(): Promise<void> {
  const [specFile, resultFile] = process.argv.slice(2);
  if (!specFile || !resultFile) throw new Error("usage: seed-database.ts <spec.json> <result.json>");
  const spec = JSON.parse(readFileSync(specFile, "utf8")) as SeedSpec;
  const started = performance.now();
  const log = (line: string) => console.error(line);
  // From the code under test, which may be a snapshot (--source=head) rather than this tree.
  const store = path.join(spec.sourceRoot, "web", "server", "store");
  const { openEmbeddedDatabase } = (await import(path.join(store, "pglite.ts"))) as { openEmbeddedDatabase: OpenEmbedded };
  const { openPostgres } = (await import(path.join(store, "postgres.ts"))) as { openPostgres: OpenPostgres };
  const db =
    spec.mode === "embedded"
      ? await openEmbeddedDatabase({ dataDir: spec.dataDir!, migrationsDir: spec.migrationsDir, log })
      : await openPostgres({ connectionString: spec.databaseUrl!, migrationsDir: spec.migrationsDir, max: 2, log });
  try {
    await seedUsers(db, spec.users);
    const result: SeedResult = { users: spec.users.length, seconds: 0 };
    if (spec.history) {
      const historyStarted = performance.now();
      result.conversationId = await seedHistory(db, spec.history);
      await db.query("vacuum (analyze) public.messages");
      await db.query("analyze public.conversations");
      result.historySeconds = (performance.now() - historyStarted) / 1000;
    }
    result.seconds = (performance.now() - started) / 1000;
    writeFileSync(resultFile, JSON.stringify(result));
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
