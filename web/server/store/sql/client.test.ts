import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, openTestDatabase } from "@/test/support/db";
import { notePostgresSkip, openPostgresTestDatabase, TEST_DATABASE_URL } from "@/test/support/postgres";
import { queryAsUser, sqlLiteral, type SqlClient } from "./client";

// queryAsUser sends the claims and the statement as one script (one round trip): these prove
// it keeps asUser's guard (role, claims, row level security, privileges) and its scope (one
// transaction), and that values survive the trip as literals.
const drivers = [
  { name: "Postgres", open: openPostgresTestDatabase, skip: !TEST_DATABASE_URL },
  { name: "embedded PGlite", open: openTestDatabase, skip: false },
];
notePostgresSkip("one-round-trip user statements on Postgres");

describe.each(drivers)("queryAsUser on $name", ({ open, skip }) => {
  if (skip) {
    it.skip("needs TEST_DATABASE_URL", () => {});
    return;
  }

  let db: SqlClient;
  let close: () => Promise<void>;
  let ann: string;
  let ben: string;
  let cat: string;

  beforeAll(async () => {
    ({ db, close } = await open());
    ann = await createUser(db, `ann-${randomUUID()}@client.test`);
    ben = await createUser(db, `ben-${randomUUID()}@client.test`);
    cat = await createUser(db, `cat-${randomUUID()}@client.test`);
  });
  afterAll(() => close());

  it("when a statement runs as a user, then it runs as role authenticated with that user's claims, and the settings end with it", async () => {
    const [inside] = await queryAsUser<{ role: string; uid: string }>(db, ann, "select current_user as role, auth.uid()::text as uid");
    expect(inside).toEqual({ role: "authenticated", uid: ann });
    // pg's pool hands the connection just released out again; PGlite has one.
    const [after] = await db.query<{ role: string; claims: string | null }>(
      "select current_user as role, nullif(current_setting('request.jwt.claims', true), '') as claims",
    );
    expect(after).toEqual({ role: "postgres", claims: null });
  });

  it("when a user reads messages, then row level security shows only their conversations", async () => {
    await queryAsUser(
      db,
      ann,
      `select * from public.send_message(p_recipient_id => ${sqlLiteral(ben)}, p_content => 'hi', p_client_id => ${sqlLiteral(randomUUID())})`,
    );
    const seen = async (user: string) =>
      (await queryAsUser<{ count: string | number }>(db, user, "select count(*) as count from public.messages"))[0]!.count;
    expect(Number(await seen(ben))).toBe(1);
    expect(Number(await seen(cat))).toBe(0);
  });

  it("when a user calls a function granted to the service role only, then the privilege check refuses it", async () => {
    await expect(queryAsUser(db, ann, "select * from public.claim_pushes(10, 1, 1)")).rejects.toMatchObject({ code: "42501" });
    await expect(queryAsUser(db, ann, "select * from public.push_outbox")).rejects.toMatchObject({ code: "42501" });
  });

  it("when the statement fails, then what the script did before it is rolled back too", async () => {
    const clientId = randomUUID();
    const send = `select * from public.send_message(p_recipient_id => ${sqlLiteral(cat)}, p_content => 'lost', p_client_id => ${sqlLiteral(clientId)})`;
    await expect(queryAsUser(db, ann, `${send}; select 1 / 0`)).rejects.toMatchObject({ code: "22012" });
    expect(await db.query("select 1 from public.messages where client_id = $1", [clientId])).toEqual([]);
  });

  it("when values travel as literals, then they arrive exactly as a parameter would", async () => {
    const texts = ["plain", "it's", "back\\slash \\' end\\", 'dou"ble', "ünï 😀 \u200b", "", "$1 ; select 1; --"];
    for (const text of texts) {
      const [row] = await queryAsUser<{ value: string }>(db, ann, `select ${sqlLiteral(text)}::text as value`);
      expect(row!.value).toBe(text);
    }
    const array = ["a", 'q"uote', "back\\slash", "com,ma", null, "{brace}"];
    const [row] = await queryAsUser<{ value: string }>(db, ann, `select to_json(${sqlLiteral(array)}::text[])::text as value`);
    expect(JSON.parse(row!.value)).toEqual(array);
    const [typed] = await queryAsUser<{ n: number; b: boolean; missing: null }>(
      db,
      ann,
      `select ${sqlLiteral(42)}::int as n, ${sqlLiteral(true)}::boolean as b, ${sqlLiteral(null)}::text as missing`,
    );
    expect(typed).toEqual({ n: 42, b: true, missing: null });
  });

  it("when text holds a NUL, then it is refused as Postgres refuses it, before anything is sent", async () => {
    expect(() => sqlLiteral("a\u0000b")).toThrow(expect.objectContaining({ code: "22021" }));
    // The connection is still fine afterwards.
    expect(await db.query("select 1 as one")).toEqual([{ one: 1 }]);
  });
});
