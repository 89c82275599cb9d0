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
  /** What a PostgREST caller would get back: SQLSTATE, DETAIL and HINT of the refusal. */
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "ok",
      (error: { code?: string; detail?: string; hint?: string }) => ({ code: error.code, detail: error.detail, hint: error.hint }),
    );
  type Sent = { id: string; conversation_id: string; seq: number | string; content: string; created: boolean };
  const sendAs = (sender: string, recipient: string, content: string, clientId: string = randomUUID()) =>
    as(sender, (tx) => tx.query<Sent>("select * from public.send_message($1, $2, $3)", [recipient, content, clientId]));
  const countMessages = async (sender: string) =>
    Number((await db.query<{ n: number }>("select count(*)::int as n from public.messages where sender_id = $1", [sender]))[0]!.n);
  /** Messages stored by the owner role (no limits), e.g. to fill a conversation. */
  const bulkInsert = (sender: string, recipient: string, count: number) =>
    db.query(
      `insert into public.messages (sender_id, recipient_id, content, client_id)
       select $1, $2, 'bulk ' || i, gen_random_uuid() from generate_series(1, $3::int) i`,
      [sender, recipient, count],
    );

  beforeAll(async () => {
    ({ db, close } = await open());
    alice = await createUser(db, "alice@rls.test");
    bob = await createUser(db, "bob@rls.test");
    carol = await createUser(db, "carol@rls.test");
    aliceToBob = (await sendAs(alice, bob, "private to bob"))[0]!;
    await sendAs(bob, alice, "private to alice");
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

  it("when a user inserts a message directly, even as themselves, then it is refused: the functions are the only write path", async () => {
    expect(await errorCode(as(carol, (tx) => insertMessage(tx, alice, bob, "forged")))).toBe("42501");
    expect(await errorCode(as(carol, (tx) => insertMessage(tx, bob, carol, "forged to self")))).toBe("42501");
    expect(await errorCode(as(carol, (tx) => insertMessage(tx, carol, alice, "skipping the rules")))).toBe("42501");
    expect(await countMessages(carol)).toBe(0);
  });

  it("when grants are listed, then anon and authenticated may only read tables, never write them", async () => {
    const writable = await db.query<{ role: string; table: string; privilege: string }>(
      `select r.role, c.relname as table, p.privilege
       from pg_class c
       cross join (values ('anon'), ('authenticated')) r(role)
       cross join (values ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(privilege)
       where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
         and (has_table_privilege(r.role, c.oid, p.privilege)
              or (p.privilege in ('INSERT', 'UPDATE') and has_any_column_privilege(r.role, c.oid, p.privilege)))`,
    );
    expect(writable).toEqual([]);
  });

  it("when a function runs as its owner, then it has a fixed search_path", async () => {
    const definers = await db.query<{ proname: string; proconfig: string[] | null }>(
      "select proname, proconfig from pg_proc where pronamespace = 'public'::regnamespace and prosecdef",
    );
    expect(definers.map((f) => f.proname)).toEqual(expect.arrayContaining(["send_message", "mark_read", "update_profile", "search_profiles"]));
    for (const fn of definers) expect(fn.proconfig ?? [], fn.proname).toContain('search_path=""');
  });

  it("when a user calls the helpers the functions use, then they are not callable", async () => {
    for (const sql of ["select public.chat_trim('x')", "select public.checked_message_content('x')", "select public.enforce_send_limit($1)"]) {
      expect(await errorCode(as(carol, (tx) => tx.query(sql, sql.includes("$1") ? [carol] : [])))).toBe("42501");
    }
  });

  it("when no user is signed in (authenticated role without a subject), then the writing functions refuse with PT401", async () => {
    const anonymous = <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
      db.transaction(fn, { prelude: "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{\"role\":\"authenticated\"}', true)" });
    for (const [sql, params] of [
      ["select * from public.send_message($1, 'hi', $2)", [bob, randomUUID()]],
      ["select * from public.mark_read($1, 1)", [bob]],
      ["select * from public.update_profile('Nobody')", []],
    ] as const) {
      expect(await refusal(anonymous((tx) => tx.query(sql, [...params])))).toEqual({ code: "PT401", detail: undefined, hint: "unauthorized" });
    }
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

  it("when a user edits profiles, then only update_profile changes their own display name", async () => {
    for (const [sql, params] of [
      ["update public.profiles set display_name = 'Carol' where id = $1", [carol]],
      ["update public.profiles set display_name = 'Hacked' where id = $1", [bob]],
      ["update public.profiles set email = 'x@y.z' where id = $1", [carol]],
      ["delete from public.profiles where id = $1", [carol]],
    ] as const) {
      expect(await errorCode(as(carol, (tx) => tx.query(sql, [...params])))).toBe("42501");
    }
    const [own] = await as(carol, (tx) => tx.query<{ id: string; display_name: string }>("select * from public.update_profile('Carol')"));
    expect(own).toMatchObject({ id: carol, display_name: "Carol" });
    const [bobRow] = await db.query<{ display_name: string | null }>("select display_name from public.profiles where id = $1", [bob]);
    expect(bobRow?.display_name).toBeNull();
    await as(carol, (tx) => tx.query("select * from public.update_profile(null)"));
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
    for (const user of [carol, bob]) {
      const moved = await errorCode(
        as(user, (tx) => tx.query("update public.conversation_reads set last_read_seq = 0 where conversation_id = $1", [aliceToBob.conversation_id])),
      );
      expect(moved).toBe("42501");
    }
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

  describe("the app's rules, enforced by the SQL for direct PostgREST callers", () => {
    const invalidContent = { code: "PT422", detail: "content", hint: "validation_failed" };

    it.each([
      ["only spaces", "   \t\n  "],
      ["only zero-width spaces", "\u200b\u200b"],
      ["whitespace and format characters", " \u200b\u00a0\u2060\ufeff\u3000\u{e0020} "],
      ["a bidi override", "evil\u202etxt.exe"],
      ["a bidi isolate", "a\u2066b"],
      ["4001 characters after trimming", ` ${"é".repeat(4001)} `],
      ["4001 astral characters", "😀".repeat(4001)],
    ])("when the content has %s, then send_message refuses it with PT422 and stores nothing", async (_, content) => {
      expect(await refusal(sendAs(carol, alice, content))).toEqual(invalidContent);
      expect(await countMessages(carol)).toBe(0);
    });

    it("when the content is padded, then it is stored trimmed; 4000 astral characters fit", async () => {
      const [padded] = await sendAs(carol, bob, "\u3000\t hi \ufeff\n");
      expect(padded?.content).toBe("hi");
      const [long] = await sendAs(carol, bob, "😀".repeat(4000));
      expect([...long!.content]).toHaveLength(4000);
      expect(await refusal(sendAs(carol, bob, "\u200bvisible\u200b"))).toBe("ok");
    });

    it("when the content carries NUL or a lone surrogate, then the database refuses the text itself", async () => {
      // PostgREST hands JSON arguments to Postgres, which refuses both escapes before any function runs.
      for (const json of ['{"c":"a\\u0000b"}', '{"c":"a\\ud800b"}']) {
        const code = await errorCode(
          as(carol, (tx) => tx.query("select * from public.send_message($1, ($2::jsonb ->> 'c'), $3)", [bob, json, randomUUID()])),
        );
        expect(["22P05", "22P02"]).toContain(code);
      }
      expect(["22021", "22P05"]).toContain(await errorCode(sendAs(carol, bob, "a\u0000b")));
    });

    it("when every code point is checked, then SQL's idea of invisible and of trimming matches JavaScript's", async () => {
      const chars: string[] = [];
      for (let cp = 1; cp < 0x10000; cp++) if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
      for (let cp = 0x10000; cp <= 0x10ffff; cp++) {
        // Astral format characters and their neighbours (the rest of the astral planes is visible).
        const char = String.fromCodePoint(cp);
        if (/\p{Cf}/u.test(char) || /\p{Cf}/u.test(String.fromCodePoint(cp - 1)) || (cp < 0x10ffff && /\p{Cf}/u.test(String.fromCodePoint(cp + 1)))) {
          chars.push(char);
        }
      }
      // As JSON: drivers differ in how they write text arrays. Code points come back, not text:
      // PGlite's decoder drops a leading U+FEFF from a result value.
      const rows = await db.query<{ cp: number; invisible: boolean; trimmed: boolean }>(
        `select ascii(c) as cp, public.is_invisible_text(c) as invisible, public.chat_trim(c) = '' as trimmed
         from jsonb_array_elements_text($1::jsonb) with ordinality t(c, i) order by i`,
        [JSON.stringify(chars)],
      );
      expect(rows.map((row) => row.cp)).toEqual(chars.map((c) => c.codePointAt(0)));
      const mismatches = rows
        .filter((row) => {
          const c = String.fromCodePoint(row.cp);
          return row.invisible !== /^[\s\p{Cf}]$/u.test(c) || row.trimmed !== (c.trim() === "");
        })
        .map((row) => `U+${row.cp.toString(16)}`);
      expect(rows).toHaveLength(chars.length);
      expect(mismatches).toEqual([]);
    });

    it("when the same clientId comes with another recipient or content, then PT409 and nothing is stored; the same message again is a repeat", async () => {
      const clientId = randomUUID();
      const [first] = await sendAs(bob, carol, "hello carol", clientId);
      const conflict = { code: "PT409", detail: undefined, hint: "client_id_conflict" };
      expect(await refusal(sendAs(bob, alice, "hello carol", clientId))).toEqual(conflict);
      expect(await refusal(sendAs(bob, carol, "hello carol!", clientId))).toEqual(conflict);
      const [again] = await sendAs(bob, carol, "  hello carol \n", clientId);
      expect(again).toMatchObject({ id: first!.id, created: false });
      expect(await db.query("select 1 from public.messages where client_id = $1", [clientId])).toHaveLength(1);
    });

    it("when a user sends to themselves, then PT400 cannot_message_self", async () => {
      expect(await refusal(sendAs(carol, carol, "me"))).toEqual({ code: "PT400", detail: undefined, hint: "cannot_message_self" });
    });

    it("when a user sends past the limit (60 per 10 s by default), then PT429 with the seconds to wait; a retry of a stored message still answers", async () => {
      const dave = await createUser(db, "dave@rls.test");
      const erin = await createUser(db, "erin@rls.test");
      const firstClientId = randomUUID();
      await sendAs(dave, erin, "message 0", firstClientId);
      for (let i = 1; i < 60; i++) await sendAs(dave, erin, `message ${i}`);
      const limited = await refusal(sendAs(dave, erin, "one too many"));
      expect(limited).toMatchObject({ code: "PT429", hint: "rate_limited" });
      expect(Number((limited as { detail: string }).detail)).toBeGreaterThanOrEqual(1);
      expect(Number((limited as { detail: string }).detail)).toBeLessThanOrEqual(10);
      expect(await countMessages(dave)).toBe(60);
      const [retry] = await sendAs(dave, erin, "message 0", firstClientId);
      expect(retry?.created).toBe(false);
      expect(await refusal(sendAs(dave, erin, "message 0, edited", firstClientId))).toMatchObject({ code: "PT409" });
      // The other direction is another user's budget.
      expect(await refusal(sendAs(erin, dave, "my own budget"))).toBe("ok");
    });

    it("when the store passes a send limit, then the SQL applies it; a user cannot raise it", async () => {
      const frank = await createUser(db, "frank@rls.test");
      const send = (settings: Parameters<typeof asUser>[3]) =>
        asUser(db, frank, (tx) => tx.query("select * from public.send_message($1, 'hi', $2)", [alice, randomUUID()]), settings);
      const tight = { sendLimit: { points: 2, durationSeconds: 10 } };
      await send(tight);
      await send(tight);
      expect(await refusal(send(tight))).toMatchObject({ code: "PT429", hint: "rate_limited" });
      expect(await refusal(send({ sendLimit: { points: 3, durationSeconds: 10 } }))).toBe("ok");
      // PostgREST exposes no way to set a setting; as SQL, set_config is the only door and it is
      // the trusted store's. The default applies to anyone else.
      expect(await countMessages(frank)).toBe(3);
    });

    it("when the operator changes app_settings, then it is the send limit for callers without the store's setting; users cannot touch it", async () => {
      const gus = await createUser(db, "gus@rls.test");
      await db.query("update public.app_settings set value = '1/10' where name = 'send_limit'");
      try {
        expect(await refusal(sendAs(gus, alice, "first"))).toBe("ok");
        expect(await refusal(sendAs(gus, alice, "second"))).toMatchObject({ code: "PT429", hint: "rate_limited" });
      } finally {
        await db.query("update public.app_settings set value = '60/10' where name = 'send_limit'");
      }
      for (const sql of ["select * from public.app_settings", "update public.app_settings set value = '100000/1'"]) {
        expect(await errorCode(as(gus, (tx) => tx.query(sql)))).toBe("42501");
      }
    });

    it("when a conversation has more than 100 messages, then get_messages clamps the limit to 1..100", async () => {
      const gina = await createUser(db, "gina@rls.test");
      const hank = await createUser(db, "hank@rls.test");
      await bulkInsert(gina, hank, 105);
      const page = (limit: number | null) =>
        as(hank, (tx) => tx.query<{ content: string }>("select * from public.get_messages($1, $2)", [gina, limit]));
      expect(await page(1000)).toHaveLength(100);
      expect(await page(0)).toHaveLength(1);
      expect(await page(-5)).toHaveLength(1);
      expect(await page(null)).toHaveLength(50);
      expect((await page(2)).map((m) => m.content)).toEqual(["bulk 104", "bulk 105"]);
      const list = await as(hank, (tx) => tx.query("select * from public.list_conversations(0)"));
      expect(list).toHaveLength(1);
    });

    it("when read positions are written, then they only move forward, clamped to 0..the last message", async () => {
      const ivan = await createUser(db, "ivan@rls.test");
      const jane = await createUser(db, "jane@rls.test");
      await bulkInsert(ivan, jane, 5);
      const mark = async (seq: number | null) =>
        Number((await as(jane, (tx) => tx.query<{ last_read_seq: string }>("select * from public.mark_read($1, $2)", [ivan, seq])))[0]!.last_read_seq);
      expect(await mark(-3)).toBe(0);
      expect(await mark(null)).toBe(0);
      expect(await mark(3)).toBe(3);
      expect(await mark(1)).toBe(3);
      expect(await mark(999)).toBe(5);
      expect(await mark(0)).toBe(5);
    });

    it.each([
      ["a control character", "Ann\u0007"],
      ["a newline", "Ann\nExample"],
      ["a bidi override", "evil\u202eexe"],
      ["81 characters", "x".repeat(81)],
    ])("when the display name has %s, then update_profile refuses it with PT422", async (_, name) => {
      expect(await refusal(as(carol, (tx) => tx.query("select * from public.update_profile($1)", [name])))).toEqual({
        code: "PT422",
        detail: "displayName",
        hint: "validation_failed",
      });
    });

    it("when the display name is padded or blank, then it is stored trimmed, or cleared", async () => {
      const set = async (name: string | null) =>
        (await as(carol, (tx) => tx.query<{ display_name: string | null }>("select * from public.update_profile($1)", [name])))[0]!.display_name;
      expect(await set(" \u3000Carol C.\u00a0 ")).toBe("Carol C.");
      expect(await set("😀".repeat(80))).toBe("😀".repeat(80));
      expect(await set("   ")).toBeNull();
      expect(await set(null)).toBeNull();
    });
  });

  describe("the directory is private", () => {
    it("when a user reads profiles, then they see their own and their conversation peers' only", async () => {
      const emails = async (user: string) =>
        (await as(user, (tx) => tx.query<{ email: string }>("select email from public.profiles order by email"))).map((r) => r.email);
      const kim = await createUser(db, "kim@rls.test");
      expect(await emails(kim)).toEqual(["kim@rls.test"]);
      expect(await emails(alice)).toEqual(expect.arrayContaining(["alice@rls.test", "bob@rls.test"]));
      expect(await emails(alice)).not.toContain("kim@rls.test");
      expect(await as(kim, (tx) => tx.query("select * from public.get_profile($1)", [alice]))).toEqual([]);
      expect(await as(bob, (tx) => tx.query("select email from public.get_profile($1)", [alice]))).toEqual([{ email: "alice@rls.test" }]);
      // The conversation list still shows the peer's profile.
      const [conversation] = await as(bob, (tx) =>
        tx.query<{ peer_email: string }>("select * from public.list_conversations(10) where peer_id = $1", [alice]),
      );
      expect(conversation?.peer_email).toBe("alice@rls.test");
    });

    it("when a user searches, then strangers match by exact email only and peers by prefix; never oneself", async () => {
      const search = async (user: string, query: string, limit = 20) =>
        (await as(user, (tx) => tx.query<{ email: string }>("select email from public.search_profiles($1, $2)", [query, limit]))).map(
          (r) => r.email,
        );
      const lee = await createUser(db, "lee@rls.test");
      expect(await search(lee, "alice")).toEqual([]);
      expect(await search(lee, "alice@rls.tes")).toEqual([]);
      expect(await search(lee, "ALICE@rls.test")).toEqual(["alice@rls.test"]);
      expect(await search(lee, "  alice@rls.test ")).toEqual(["alice@rls.test"]);
      expect(await search(lee, "%")).toEqual([]);
      expect(await search(lee, "lee@rls.test")).toEqual([]);
      expect(await search(bob, "al")).toEqual(["alice@rls.test"]);
      expect(await search(bob, "a_ice")).toEqual([]);
      expect(await search(bob, "bob")).toEqual([]);
    });

    it("when a user has many peers, then a search answers at most 20", async () => {
      const mia = await createUser(db, "mia@rls.test");
      for (let i = 0; i < 22; i++) await bulkInsert(await createUser(db, `peer${String(i).padStart(2, "0")}@rls.test`), mia, 1);
      const found = await as(mia, (tx) => tx.query<{ email: string }>("select email from public.search_profiles('peer', 100)"));
      expect(found).toHaveLength(20);
      expect(found[0]?.email).toBe("peer00@rls.test");
    });
  });
});
