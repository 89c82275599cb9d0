import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pushSchema, type Push } from "socket-server/contract";
import { buildMessage, buildReadState } from "socket-server/contract/testing";
import { createSqlOutboxSource } from "@/server/realtime/outbox";
import { createWebhookPush } from "@/server/realtime/push";
import { asUser, type SqlClient } from "@/server/store/sql/client";
import { TEST_WEBHOOK_SECRET } from "./support/app-env";
import { createUser, openTestDatabase } from "./support/db";
import { startPushReceiver } from "./support/push-receiver";

// Every producer of pushes against the one contract the socket server validates with
// (socket-server/contract): the SQL triggers that write the outbox, and the web app's direct
// sender. A payload that drifts from the schema fails here, not in production with a 422.
const kinds = pushSchema.options.map((option) => option.shape.type.value).sort();

describe("pushes against the wire contract", () => {
  let db: SqlClient;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase());
  });
  afterAll(() => close());

  it("when the triggers write messages, reads, a group's changes and sign-outs to the outbox, then every row is a push the contract accepts", async () => {
    const alice = await createUser(db, `alice-${randomUUID()}@contract.test`);
    const bob = await createUser(db, `bob-${randomUUID()}@contract.test`);
    const carol = await createUser(db, `carol-${randomUUID()}@contract.test`);
    await asUser(db, alice, (tx) => tx.query("select * from public.send_message($1, 'hello', $2)", [bob, randomUUID()]));
    await asUser(db, bob, (tx) => tx.query("select * from public.mark_read($1, 1)", [alice]));
    await db.query("select public.enqueue_session_revoked_for($1, $2)", [alice, randomUUID()]);
    await db.query("select public.enqueue_session_revoked_for($1, null)", [bob]);
    // A group: its system message (and conversation.updated), a message and a read position, all with `to`.
    const [group] = await asUser(db, alice, (tx) =>
      tx.query<{ conversation_id: string }>("select * from public.create_group('Crew', $1)", [[bob, carol]]),
    );
    await asUser(db, bob, (tx) =>
      tx.query("select * from public.send_message(p_conversation_id => $1, p_content => 'hi crew', p_client_id => $2)", [
        group!.conversation_id,
        randomUUID(),
      ]),
    );
    await asUser(db, carol, (tx) =>
      tx.query("select * from public.mark_read(p_conversation_id => $1, p_seq => 2)", [group!.conversation_id]),
    );
    // The lifecycle: an edit and a reaction in the direct conversation, a reaction taken back and a deletion in the group.
    const [direct] = await db.query<{ id: string }>("select id from public.messages where sender_id = $1 and kind = 'text'", [alice]);
    const [crew] = await db.query<{ id: string }>("select id from public.messages where sender_id = $1 and kind = 'text'", [bob]);
    await asUser(db, alice, (tx) => tx.query("select * from public.edit_message($1, 'hello again')", [direct!.id]));
    await asUser(db, bob, (tx) => tx.query("select * from public.add_reaction($1, '👍')", [direct!.id]));
    await asUser(db, carol, (tx) => tx.query("select * from public.add_reaction($1, '🎉')", [crew!.id]));
    await asUser(db, carol, (tx) => tx.query("select * from public.remove_reaction($1, '🎉')", [crew!.id]));
    await asUser(db, bob, (tx) => tx.query("select * from public.delete_message($1)", [crew!.id]));

    const rows = await createSqlOutboxSource(db, { leaseSeconds: 30, maxAgeSeconds: 86_400 }).claim(100);
    const pushes = rows.map((row) => row.push);
    expect(pushes.map((push) => push.type).sort()).toEqual([
      "conversation.updated",
      "message.changed",
      "message.changed",
      "message.changed",
      "message.changed",
      "message.changed",
      "message.created",
      "message.created",
      "message.created",
      "read.updated",
      "read.updated",
      "session.revoked",
      "session.revoked",
    ]);
    const members = [alice, bob, carol].sort();
    expect(
      pushes.filter((push) => "to" in push).map((push) => push.type === "conversation.updated" || (push as { to?: string[] }).to),
    ).toEqual([members, true, members, members, members, members, members]);
    expect([...new Set(pushes.map((push) => push.type))].sort()).toEqual(kinds);
    for (const push of pushes) expect(pushSchema.safeParse(push).error?.issues ?? []).toEqual([]);
  });

  it("when the web app sends each kind of push directly, then the receiver, parsing with the contract, takes them all", async () => {
    const receiver = await startPushReceiver(TEST_WEBHOOK_SECRET);
    try {
      const tasks: Promise<void>[] = [];
      const push = createWebhookPush({ url: receiver.url, secret: TEST_WEBHOOK_SECRET, defer: (task) => tasks.push(task()), attempts: 1 });
      push.messageCreated(buildMessage());
      push.readUpdated(buildReadState());
      push.sessionRevoked({ userId: randomUUID(), sessionId: null });
      const members = [randomUUID(), randomUUID(), randomUUID()];
      push.conversationUpdated({ conversationId: randomUUID(), name: "Crew", memberIds: members, removedIds: [] }, members);
      await Promise.all(tasks);
      expect(receiver.invalid).toEqual([]);
      // IMPORTANT: the direct push (the benchmark's baseline) sends no message.changed: a change's
      // pos is known only to the database's outbox row, and its clients catch up instead.
      expect(receiver.received.map(({ push }: { push: Push }) => push.type).sort()).toEqual(
        kinds.filter((kind) => kind !== "message.changed"),
      );
    } finally {
      await receiver.close();
    }
  });
});
