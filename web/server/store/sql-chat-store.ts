import type { UserProfile } from "@/lib/types";
import { notFound } from "@/server/errors";
import { asUser, pgErrorCode, PG_ERRORS, type SqlClient, type SqlExecutor, type UserTransactionSettings } from "./sql/client";
import { toDomainError } from "./sql/errors";
import type { ChatStore } from "./types";
import {
  toConversation,
  toMessage,
  toProfile,
  toReadState,
  type ConversationRow,
  type MessageRow,
  type ProfileRow,
  type ReadRow,
} from "./rows";

/**
 * The chat store on any Postgres reached by SQL: the embedded PGlite or `pg`. Every call runs
 * as the signed-in user (row level security) and goes through the schema's functions, the
 * same ones the Supabase store calls through PostgREST. `settings.sendLimit` passes the app's
 * RATE_LIMIT_SEND to the send limit the SQL enforces.
 */
export function createSqlChatStore(db: SqlClient, settings: UserTransactionSettings = {}): ChatStore {
  // The schema's deliberate errors (validation, conflicts, limits) become domain errors.
  const run = async <T>(userId: string, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    try {
      return await asUser(db, userId, fn, settings);
    } catch (error) {
      throw toDomainError(error) ?? error;
    }
  };

  return {
    async insertMessage(userId, { recipientId, content, clientId }) {
      try {
        const [row] = await run(userId, (tx) =>
          tx.query<MessageRow & { created: boolean }>("select * from public.send_message($1, $2, $3)", [recipientId, content, clientId]),
        );
        if (!row) throw new Error("send_message returned no row");
        return { message: toMessage(row), created: row.created };
      } catch (error) {
        // The recipient's account does not exist (or was deleted since the client saw it).
        if (pgErrorCode(error) === PG_ERRORS.foreignKeyViolation) throw notFound("user_not_found", "That user does not exist.");
        throw error;
      }
    },

    async findSentMessage(userId, clientId) {
      const [row] = await run(userId, (tx) => tx.query<MessageRow>("select * from public.get_sent_message($1)", [clientId]));
      return row ? toMessage(row) : null;
    },

    async listMessages(userId, { peerId, limit, before, after }) {
      try {
        const rows = await run(userId, (tx) =>
          tx.query<MessageRow>("select * from public.get_messages($1, $2, $3, $4)", [peerId, limit, before ?? null, after ?? null]),
        );
        return rows.map(toMessage);
      } catch (error) {
        if (pgErrorCode(error) === PG_ERRORS.invalidParameterValue) return null;
        throw error;
      }
    },

    async listConversations(userId, limit) {
      const rows = await run(userId, (tx) => tx.query<ConversationRow>("select * from public.list_conversations($1)", [limit]));
      return rows.map(toConversation);
    },

    async findProfile(userId, profileId): Promise<UserProfile | null> {
      const [row] = await run(userId, (tx) =>
        tx.query<ProfileRow>("select * from public.get_profile($1)", [profileId]),
      );
      return row ? toProfile(row) : null;
    },

    async markRead(userId, peerId, seq) {
      const [row] = await run(userId, (tx) => tx.query<ReadRow>("select * from public.mark_read($1, $2)", [peerId, seq]));
      return row ? toReadState(row) : null;
    },

    async updateProfile(userId, displayName) {
      const [row] = await run(userId, (tx) => tx.query<ProfileRow>("select * from public.update_profile($1)", [displayName]));
      if (!row) throw new Error("update_profile returned no row");
      return toProfile(row);
    },

    async searchProfiles(userId, query, limit) {
      const rows = await run(userId, (tx) => tx.query<ProfileRow>("select * from public.search_profiles($1, $2)", [query, limit]));
      return rows.map(toProfile);
    },
  };
}

