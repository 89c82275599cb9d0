import type { ChatMessage, ConversationSummary, UserProfile } from "@/lib/types";
import { notFound } from "@/server/errors";
import { asUser, pgErrorCode, PG_ERRORS, type SqlClient, type SqlExecutor } from "./sql/client";
import type { ChatStore, HistoryRequest, NewMessage } from "./types";

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number | string;
  sender_id: string;
  recipient_id: string;
  content: string;
  client_id: string;
  created_at: Date | string;
}

interface ProfileRow {
  id: string;
  email: string;
  display_name: string | null;
}

const MESSAGE_COLUMNS = "id, conversation_id, seq, sender_id, recipient_id, content, client_id, created_at";

// Drivers differ: pg returns int8 as string, PGlite as number; both return Date for timestamptz.
const toIso = (value: Date | string) => new Date(value).toISOString();

export function toMessage(row: MessageRow): ChatMessage {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: Number(row.seq),
    senderId: row.sender_id,
    recipientId: row.recipient_id,
    content: row.content,
    clientId: row.client_id,
    createdAt: toIso(row.created_at),
  };
}

const toProfile = (row: ProfileRow): UserProfile => ({ id: row.id, email: row.email, displayName: row.display_name });

/** `like` pattern for "starts with", with the wildcards in user input escaped. */
const prefixPattern = (prefix: string) => `${prefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

async function findByClientId(tx: SqlExecutor, senderId: string, clientId: string): Promise<ChatMessage | null> {
  const [row] = await tx.query<MessageRow>(
    `select ${MESSAGE_COLUMNS} from public.messages where sender_id = $1 and client_id = $2`,
    [senderId, clientId],
  );
  return row ? toMessage(row) : null;
}

/** The chat store on any Postgres speaking SQL: the embedded PGlite or `pg`. */
export function createSqlChatStore(db: SqlClient): ChatStore {
  return {
    async insertMessage(userId, input: NewMessage) {
      const existing = await asUser(db, userId, (tx) => findByClientId(tx, userId, input.clientId));
      if (existing) return { message: existing, created: false };
      try {
        const inserted = await asUser(db, userId, (tx) =>
          tx.query<MessageRow>(
            `insert into public.messages (sender_id, recipient_id, content, client_id)
             values ($1, $2, $3, $4)
             on conflict (sender_id, client_id) do nothing
             returning ${MESSAGE_COLUMNS}`,
            [userId, input.recipientId, input.content, input.clientId],
          ),
        );
        if (inserted[0]) return { message: toMessage(inserted[0]), created: true };
      } catch (error) {
        const code = pgErrorCode(error);
        // The recipient's account was deleted between the service's check and the insert.
        if (code === PG_ERRORS.foreignKeyViolation) throw notFound("user_not_found", "That user does not exist.");
        if (code !== PG_ERRORS.uniqueViolation) throw error;
      }
      // A concurrent retry with the same clientId won the race: answer with its message.
      const winner = await asUser(db, userId, (tx) => findByClientId(tx, userId, input.clientId));
      if (!winner) throw new Error("message vanished after a clientId conflict");
      return { message: winner, created: false };
    },

    async listMessages(userId, { peerId, limit, before, after }: HistoryRequest) {
      return asUser(db, userId, async (tx) => {
        const [conversation] = await tx.query<{ id: string }>(
          "select id from public.conversations where user_a = least($1::uuid, $2::uuid) and user_b = greatest($1::uuid, $2::uuid)",
          [userId, peerId],
        );
        const cursorId = before ?? after;
        if (!conversation) return cursorId ? null : [];
        let cursorSeq: number | null = null;
        if (cursorId) {
          const [cursor] = await tx.query<{ seq: number | string }>(
            "select seq from public.messages where id = $1 and conversation_id = $2",
            [cursorId, conversation.id],
          );
          if (!cursor) return null;
          cursorSeq = Number(cursor.seq);
        }
        if (after) {
          const rows = await tx.query<MessageRow>(
            `select ${MESSAGE_COLUMNS} from public.messages
             where conversation_id = $1 and seq > $2 order by seq asc limit $3`,
            [conversation.id, cursorSeq, limit],
          );
          return rows.map(toMessage);
        }
        const rows = await tx.query<MessageRow>(
          `select ${MESSAGE_COLUMNS} from public.messages
           where conversation_id = $1 and ($2::bigint is null or seq < $2::bigint) order by seq desc limit $3`,
          [conversation.id, cursorSeq, limit],
        );
        return rows.map(toMessage).reverse();
      });
    },

    async listConversations(userId, limit) {
      const rows = await asUser(db, userId, (tx) =>
        tx.query<MessageRow & ProfileRow & { conversation_id: string; peer_id: string; last_message_at: Date | string }>(
          `select c.id as conversation_id, c.last_message_at,
                  p.id, p.email, p.display_name,
                  m.id as message_id, m.seq, m.sender_id, m.recipient_id, m.content, m.client_id, m.created_at
           from public.conversations c
           join public.profiles p on p.id = case when c.user_a = $1 then c.user_b else c.user_a end
           join lateral (
             select * from public.messages where conversation_id = c.id order by seq desc limit 1
           ) m on true
           where c.user_a = $1 or c.user_b = $1
           order by c.last_message_at desc
           limit $2`,
          [userId, limit],
        ),
      );
      return rows.map(
        (row): ConversationSummary => ({
          id: row.conversation_id,
          peer: toProfile(row),
          lastMessage: toMessage({ ...row, id: (row as unknown as { message_id: string }).message_id }),
          lastMessageAt: toIso(row.last_message_at),
        }),
      );
    },

    async findProfile(userId, profileId) {
      const [row] = await asUser(db, userId, (tx) =>
        tx.query<ProfileRow>("select id, email, display_name from public.profiles where id = $1", [profileId]),
      );
      return row ? toProfile(row) : null;
    },

    async searchProfiles(userId, emailPrefix, limit) {
      const rows = await asUser(db, userId, (tx) =>
        tx.query<ProfileRow>(
          `select id, email, display_name from public.profiles
           where lower(email) like $1 escape '\\' and id <> $2
           order by lower(email) limit $3`,
          [prefixPattern(emailPrefix), userId, limit],
        ),
      );
      return rows.map(toProfile);
    },
  };
}
