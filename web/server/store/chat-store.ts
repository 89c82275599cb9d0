import { notFound } from "@/server/errors";
import type { RpcTransport } from "./rpc";
import { toConversation, toMessage, toProfile, toReadState } from "./rows";
import { pgErrorCode, PG_ERRORS } from "./sql/client";
import type { ChatStore } from "./types";

/**
 * The chat store: every call is one of the schema's functions, as the signed-in user, through
 * a transport (SQL on PGlite or `pg`, or PostgREST on Supabase). One store, so every mode runs
 * the same calls, mappers and error translations.
 */
export function createChatStore(rpc: RpcTransport): ChatStore {
  return {
    async insertMessage(userId, { recipientId, content, clientId }) {
      try {
        const [row] = await rpc.call(userId, "send_message", { p_recipient_id: recipientId, p_content: content, p_client_id: clientId });
        if (!row) throw new Error("send_message returned no row");
        return { message: toMessage(row), created: row.created };
      } catch (error) {
        // The recipient's account does not exist (or was deleted since the client saw it).
        if (pgErrorCode(error) === PG_ERRORS.foreignKeyViolation) throw notFound("user_not_found", "That user does not exist.");
        throw error;
      }
    },

    async findSentMessage(userId, clientId) {
      const [row] = await rpc.call(userId, "get_sent_message", { p_client_id: clientId });
      return row ? toMessage(row) : null;
    },

    async listMessages(userId, { peerId, limit, before, after }) {
      try {
        const rows = await rpc.call(userId, "get_messages", { p_peer_id: peerId, p_limit: limit, p_before: before, p_after: after });
        return rows.map(toMessage);
      } catch (error) {
        // The cursor is not a message of this conversation.
        if (pgErrorCode(error) === PG_ERRORS.invalidParameterValue) return null;
        throw error;
      }
    },

    async listConversations(userId, limit) {
      return (await rpc.call(userId, "list_conversations", { p_limit: limit })).map(toConversation);
    },

    async findProfile(userId, profileId) {
      const [row] = await rpc.call(userId, "get_profile", { p_profile_id: profileId });
      return row ? toProfile(row) : null;
    },

    async markRead(userId, peerId, seq) {
      const [row] = await rpc.call(userId, "mark_read", { p_peer_id: peerId, p_seq: seq });
      return row ? toReadState(row) : null;
    },

    async updateProfile(userId, displayName) {
      // An empty name clears it (the SQL trims and turns '' into null), as null does.
      const [row] = await rpc.call(userId, "update_profile", { p_display_name: displayName ?? "" });
      if (!row) throw new Error("update_profile returned no row");
      return toProfile(row);
    },

    async searchProfiles(userId, query, limit) {
      return (await rpc.call(userId, "search_profiles", { p_query: query, p_limit: limit })).map(toProfile);
    },
  };
}
