import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, type SqlClient, type SqlExecutor } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "./support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "./support/postgres";

// Row level security is the guard in every mode: prove each policy on a real Postgres and
// on the embedded PGlite, from the same migration files.
const drivers = [
  { name: "Postgres", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
];
notePostgresSkip("row level security on Postgres");

describe.each(drivers)("row level security on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let alice: string;
  let bob: string;
  let carol: string;
  let aliceToBob: { id: string; conversation_id: string };

  const as = <T>(userId: string, fn: (tx: SqlExecutor) => Promise<T>) => asUser(db, userId, fn);
  const insertMessage = (tx: SqlExecutor, sender: string, recipient: string, content: string) =>
    tx.query<{ id: string; conversation_id: string }>(
      "insert into public.messages (sender_id, recipient_id, content, client_id) values ($1, $2, $3, $4) returning id, conversation_id",
      [sender, recipient, content, randomUUID()],
    );
  const errorCode = (promise: Promise<unknown>) => promise.then(() => "ok", (error: { code?: string }) => error.code);

  beforeAll(async () => {
    ({ db, close } = await open());
    alice = await createUser(db, "alice@rls.test");
    bob = await createUser(db, "bob@rls.test");
    carol = await createUser(db, "carol@rls.test");
    [aliceToBob] = (await as(alice, (tx) => insertMessage(tx, alice, bob, "private to bob"))) as [typeof aliceToBob];
    await as(bob, (tx) => insertMessage(tx, bob, alice, "private to alice"));
  });
  afterAll(() => close());

  it("when RLS is checked, then every table in public has it enabled", async () => {
    const tables = await db.query<{ relname: string; relrowsecurity: boolean }>(
      "select relname, relrowsecurity from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'",
    );
    expect(tables.length).toBeGreaterThanOrEqual(3);
    expect(tables.filter((t) => !t.relrowsecurity)).toEqual([]);
  });

  it("when policies read the caller, then they call (select auth.uid()) once per statement", async () => {
    const policies = await db.query<{ policyname: string; qual: string | null; with_check: string | null }>(
      "select policyname, qual, with_check from pg_policies where schemaname = 'public'",
    );
    for (const policy of policies) {
      const text = `${policy.qual ?? ""} ${policy.with_check ?? ""}`;
      if (text.includes("auth.uid()")) expect(text, policy.policyname).toMatch(/\(\s*SELECT auth\.uid\(\)/i);
    }
  });

  it("when a participant reads, then they see their conversation; a third user sees nothing", async () => {
    const bobSees = await as(bob, (tx) => tx.query("select content from public.messages order by seq"));
    expect(bobSees.map((r) => (r as { content: string }).content)).toEqual(["private to bob", "private to alice"]);
    expect(await as(carol, (tx) => tx.query("select * from public.messages"))).toEqual([]);
    expect(await as(carol, (tx) => tx.query("select * from public.conversations"))).toEqual([]);
    expect(
      await as(carol, (tx) => tx.query("select * from public.messages where conversation_id = $1", [aliceToBob.conversation_id])),
    ).toEqual([]);
  });

  it("when a user forges the sender, then the insert is refused", async () => {
    expect(await errorCode(as(carol, (tx) => insertMessage(tx, alice, bob, "forged")))).toBe("42501");
    expect(await errorCode(as(carol, (tx) => insertMessage(tx, bob, carol, "forged to self")))).toBe("42501");
  });

  it("when a user tries to choose the conversation or position, then the column grants refuse it", async () => {
    const code = await errorCode(
      as(carol, (tx) =>
        tx.query("insert into public.messages (sender_id, recipient_id, content, client_id, seq) values ($1, $2, 'x', $3, 1)", [
          carol,
          alice,
          randomUUID(),
        ]),
      ),
    );
    expect(code).toBe("42501");
  });

  it("when a user updates or deletes others' rows, then nothing changes", async () => {
    const attempts = [
      "update public.messages set content = 'tampered' where id = $1",
      "delete from public.messages where id = $1",
      "update public.conversations set last_seq = 0 where id = (select conversation_id from public.messages where id = $1)",
      "delete from public.conversations",
    ];
    for (const sql of attempts) {
      for (const user of [carol, bob, alice]) {
        const code = await errorCode(as(user, (tx) => tx.query(sql, sql.includes("$1") ? [aliceToBob.id] : [])));
        expect(["42501", "ok"]).toContain(code);
      }
    }
    const [row] = await db.query<{ content: string }>("select content from public.messages where id = $1", [aliceToBob.id]);
    expect(row?.content).toBe("private to bob");
    expect(await db.query("select 1 from public.conversations")).toHaveLength(1);
  });

  it("when a user edits profiles, then only their own display name changes", async () => {
    const own = await as(carol, (tx) => tx.query("update public.profiles set display_name = 'Carol' where id = $1 returning id", [carol]));
    expect(own).toHaveLength(1);
    const other = await as(carol, (tx) => tx.query("update public.profiles set display_name = 'Hacked' where id = $1 returning id", [bob]));
    expect(other).toHaveLength(0);
    expect(await errorCode(as(carol, (tx) => tx.query("update public.profiles set email = 'x@y.z' where id = $1", [carol])))).toBe(
      "42501",
    );
    const [bobRow] = await db.query<{ display_name: string | null }>("select display_name from public.profiles where id = $1", [bob]);
    expect(bobRow?.display_name).toBeNull();
  });

  it("when read state is written, then only one's own position moves and only members see it", async () => {
    const [own] = await as(bob, (tx) => tx.query<{ last_read_seq: number | string }>("select * from public.mark_read($1, 1)", [alice]));
    expect(Number(own!.last_read_seq)).toBe(1);
    expect(await as(carol, (tx) => tx.query("select * from public.conversation_reads"))).toEqual([]);
    expect(await as(alice, (tx) => tx.query("select * from public.conversation_reads"))).toHaveLength(1);
    const forged = await errorCode(
      as(carol, (tx) =>
        tx.query("insert into public.conversation_reads (conversation_id, user_id, last_read_seq) values ($1, $2, 99)", [
          aliceToBob.conversation_id,
          alice,
        ]),
      ),
    );
    expect(forged).toBe("42501");
    const moved = await as(carol, (tx) =>
      tx.query("update public.conversation_reads set last_read_seq = 0 where conversation_id = $1 returning 1", [aliceToBob.conversation_id]),
    );
    expect(moved).toEqual([]);
    expect(await as(carol, (tx) => tx.query("select * from public.mark_read($1, 5)", [alice]))).toEqual([]);
  });

  it("when the anon role asks, then it can read nothing", async () => {
    const code = await errorCode(
      db.transaction(async (tx) => {
        await tx.query("select set_config('role', 'anon', true)");
        return tx.query("select * from public.messages");
      }),
    );
    expect(code).toBe("42501");
  });
});
