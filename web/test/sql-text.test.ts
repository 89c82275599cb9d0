import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asUser, type SqlClient } from "@/server/store/sql/client";
import { createUser, openTestDatabase } from "./support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "./support/postgres";

// The database's rules are proven as users by the pgTAP suite (supabase/tests/database, run on
// Postgres and PGlite). What pgTAP cannot see stays here: that SQL's idea of invisible and of
// trimming matches JavaScript's (the zod schemas) for every code point, and text handed to the
// database through the app's drivers rather than as SQL literals.
const drivers = [
  { name: "Postgres", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
];
notePostgresSkip("SQL text rules on Postgres");

describe.each(drivers)("SQL text rules against JavaScript's on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await open());
  });
  afterAll(() => close());

  it("when every code point is checked, then SQL's idea of invisible and of trimming matches JavaScript's", async () => {
    const chars: string[] = [];
    for (let cp = 1; cp < 0x10000; cp++) if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
    for (let cp = 0x10000; cp <= 0x10ffff; cp++) {
      // Astral format characters and their neighbours (the rest of the astral planes is visible).
      const char = String.fromCodePoint(cp);
      if (
        /\p{Cf}/u.test(char) ||
        /\p{Cf}/u.test(String.fromCodePoint(cp - 1)) ||
        (cp < 0x10ffff && /\p{Cf}/u.test(String.fromCodePoint(cp + 1)))
      ) {
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

  it("when content with a NUL reaches the database through the driver, then the database refuses the text and stores nothing", async () => {
    const [sender, recipient] = [await createUser(db, "nul-sender@sql-text.test"), await createUser(db, "nul-recipient@sql-text.test")];
    const code = await asUser(db, sender, (tx) =>
      tx.query("select * from public.send_message($1, $2, $3)", [recipient, "a\u0000b", randomUUID()]),
    ).then(
      () => "ok",
      (error: { code?: string }) => error.code,
    );
    // Postgres refuses the bytes (22021), PGlite the escape (22P05).
    expect(["22021", "22P05"]).toContain(code);
    expect(await db.query("select 1 from public.messages where sender_id = $1", [sender])).toEqual([]);
  });
});
