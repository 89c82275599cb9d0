import type { SupabaseClient } from "@supabase/supabase-js";
import { notFound } from "@/server/errors";
import {
  toConversation,
  toMessage,
  toProfile,
  toReadState,
  type ConversationRow,
  type MessageRow,
  type ProfileRow,
  type ReadRow,
} from "@/server/store/rows";
import { PG_ERRORS } from "@/server/store/sql/client";
import { toDomainError } from "@/server/store/sql/errors";
import type { ChatStore } from "@/server/store/types";
import { mapPostgrestError } from "./errors";

/**
 * The chat store on Supabase: the schema's functions through PostgREST, called with the
 * signed-in user's JWT, so row level security applies exactly as in the SQL store.
 */
export function createSupabaseChatStore(supabase: SupabaseClient): ChatStore {
  async function rpc<Row>(fn: string, args: Record<string, unknown>): Promise<Row[]> {
    const { data, error, status } = await supabase.rpc(fn, args);
    // The schema's deliberate errors (PT4xx: validation, conflicts, limits) first, as in the SQL store.
    if (error) throw toDomainError(error) ?? mapPostgrestError(error, status);
    return (data ?? []) as Row[];
  }

  return {
    async insertMessage(_userId, { recipientId, content, clientId }) {
      try {
        const [row] = await rpc<MessageRow & { created: boolean }>("send_message", {
          p_recipient_id: recipientId,
          p_content: content,
          p_client_id: clientId,
        });
        if (!row) throw new Error("send_message returned no row");
        return { message: toMessage(row), created: row.created };
      } catch (error) {
        if ((error as { code?: string }).code === PG_ERRORS.foreignKeyViolation) {
          throw notFound("user_not_found", "That user does not exist.");
        }
        throw error;
      }
    },

    async findSentMessage(_userId, clientId) {
      const [row] = await rpc<MessageRow>("get_sent_message", { p_client_id: clientId });
      return row ? toMessage(row) : null;
    },

    async listMessages(_userId, { peerId, limit, before, after }) {
      try {
        const rows = await rpc<MessageRow>("get_messages", {
          p_peer_id: peerId,
          p_limit: limit,
          p_before: before ?? null,
          p_after: after ?? null,
        });
        return rows.map(toMessage);
      } catch (error) {
        if ((error as { code?: string }).code === PG_ERRORS.invalidParameterValue) return null;
        throw error;
      }
    },

    async listConversations(_userId, limit) {
      return (await rpc<ConversationRow>("list_conversations", { p_limit: limit })).map(toConversation);
    },

    async findProfile(_userId, profileId) {
      const [row] = await rpc<ProfileRow>("get_profile", { p_profile_id: profileId });
      return row ? toProfile(row) : null;
    },

    async markRead(_userId, peerId, seq) {
      const [row] = await rpc<ReadRow>("mark_read", { p_peer_id: peerId, p_seq: seq });
      return row ? toReadState(row) : null;
    },

    async updateProfile(_userId, displayName) {
      const [row] = await rpc<ProfileRow>("update_profile", { p_display_name: displayName });
      if (!row) throw new Error("update_profile returned no row");
      return toProfile(row);
    },

    async searchProfiles(_userId, query, limit) {
      return (await rpc<ProfileRow>("search_profiles", { p_query: query, p_limit: limit })).map(toProfile);
    },
  };
}
