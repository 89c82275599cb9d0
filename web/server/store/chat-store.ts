import { notFound } from "@/server/errors";
import type { RpcTransport } from "./rpc";
import {
  type MessageDetailsRow,
  toChanges,
  toConversation,
  toConversationDetail,
  toMessage,
  toMessageDetails,
  toProfile,
  toReadState,
  toStoredAttachment,
  toSearchHit,
} from "./rows";
import { pgErrorCode, PG_ERRORS } from "./sql/client";
import type { ChatStore } from "./types";

const conversationNotFound = () => notFound("conversation_not_found", "There is no such conversation.");

/** The message a lifecycle function returns (it raises rather than return nothing). */
function oneMessage(rows: MessageDetailsRow[]) {
  const [row] = rows;
  if (!row) throw new Error("the message function returned no row");
  return toMessageDetails(row);
}

/**
 * The chat store: every call is one of the schema's functions, as the signed-in user, through
 * a transport (SQL on PGlite or `pg`, or PostgREST on Supabase). One store, so every mode runs
 * the same calls, mappers and error translations.
 */
export function createChatStore(rpc: RpcTransport): ChatStore {
  async function getConversation(userId: string, conversationId: string) {
    const [row] = await rpc.call(userId, "get_conversation", { p_conversation_id: conversationId });
    return row ? toConversationDetail(row) : null;
  }
  /** After a change the user made: the conversation as it is now (gone only if a concurrent change removed them). */
  async function changed(userId: string, conversationId: string) {
    const detail = await getConversation(userId, conversationId);
    if (!detail) throw conversationNotFound();
    return detail;
  }

  return {
    async insertMessage(userId, { recipientId, conversationId, content, clientId, replyToId, attachmentIds }) {
      try {
        const [row] = await rpc.call(userId, "send_message", {
          p_recipient_id: recipientId,
          p_conversation_id: conversationId,
          p_content: content,
          p_client_id: clientId,
          p_reply_to_id: replyToId,
          p_attachment_ids: attachmentIds?.length ? attachmentIds : undefined,
        });
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
      return row ? toMessageDetails(row) : null;
    },

    async listMessages(userId, { peerId, conversationId, limit, before, after }) {
      try {
        const [row] = await rpc.call(userId, "get_messages_page", {
          p_peer_id: peerId,
          p_conversation_id: conversationId,
          p_limit: limit,
          p_before: before,
          p_after: after,
        });
        if (!row) throw new Error("get_messages_page returned no row");
        return { json: row.messages, count: Number(row.message_count), firstId: row.first_id ?? null };
      } catch (error) {
        // The cursor is not a message of this conversation.
        if (pgErrorCode(error) === PG_ERRORS.invalidParameterValue) return null;
        throw error;
      }
    },

    async listConversations(userId, limit) {
      return (await rpc.call(userId, "list_conversations", { p_limit: limit })).map(toConversation);
    },

    getConversation,

    async createGroup(userId, { name, memberIds }) {
      const [row] = await rpc.call(userId, "create_group", { p_name: name, p_member_ids: memberIds });
      if (!row) throw new Error("create_group returned no row");
      return changed(userId, row.conversation_id);
    },

    async renameGroup(userId, conversationId, name) {
      await rpc.call(userId, "rename_group", { p_conversation_id: conversationId, p_name: name });
      return changed(userId, conversationId);
    },

    async addMembers(userId, conversationId, userIds) {
      await rpc.call(userId, "add_members", { p_conversation_id: conversationId, p_user_ids: userIds });
      return changed(userId, conversationId);
    },

    async removeMember(userId, conversationId, memberId) {
      const [row] = await rpc.call(userId, "remove_member", { p_conversation_id: conversationId, p_user_id: memberId });
      if (row?.left) return { left: true } as const;
      return changed(userId, conversationId);
    },

    async findProfile(userId, profileId) {
      const [row] = await rpc.call(userId, "get_profile", { p_profile_id: profileId });
      return row ? toProfile(row) : null;
    },

    async markRead(userId, { peerId, conversationId }, seq) {
      const [row] = await rpc.call(userId, "mark_read", { p_peer_id: peerId, p_conversation_id: conversationId, p_seq: seq });
      return row ? toReadState(row) : null;
    },

    async updateProfile(userId, displayName) {
      // An empty name clears it (the SQL trims and turns '' into null), as null does.
      const [row] = await rpc.call(userId, "update_profile", { p_display_name: displayName ?? "" });
      if (!row) throw new Error("update_profile returned no row");
      return toProfile(row);
    },

    async searchMessages(userId, { query, conversationId, limit, after }) {
      const rows = await rpc.call(userId, "search_messages", {
        p_query: query,
        p_conversation_id: conversationId,
        p_limit: limit,
        p_after_rank: after?.rank,
        p_after_at: after?.at,
        p_after_id: after?.id,
      });
      return rows.map(toSearchHit);
    },

    async searchProfiles(userId, query, limit) {
      return (await rpc.call(userId, "search_profiles", { p_query: query, p_limit: limit })).map(toProfile);
    },

    async createAttachment(userId, { conversationId, peerId, name, size }) {
      try {
        const [row] = await rpc.call(userId, "create_attachment", {
          p_conversation_id: conversationId,
          p_peer_id: peerId,
          p_name: name,
          p_size: size,
        });
        if (!row) throw new Error("create_attachment returned no row");
        return toStoredAttachment(row);
      } catch (error) {
        if (pgErrorCode(error) === PG_ERRORS.foreignKeyViolation) throw notFound("user_not_found", "That user does not exist.");
        throw error;
      }
    },

    async getAttachment(userId, attachmentId) {
      const [row] = await rpc.call(userId, "get_attachment", { p_id: attachmentId });
      return row ? toStoredAttachment(row) : null;
    },

    async completeAttachment(userId, attachmentId, { contentType, size, kind, width, height }) {
      const [row] = await rpc.call(userId, "complete_attachment", {
        p_id: attachmentId,
        p_content_type: contentType,
        p_size: size,
        p_kind: kind,
        p_width: width ?? undefined,
        p_height: height ?? undefined,
      });
      return row ? toStoredAttachment(row) : null;
    },

    async editMessage(userId, messageId, content) {
      return oneMessage(await rpc.call(userId, "edit_message", { p_message_id: messageId, p_content: content }));
    },

    async deleteMessage(userId, messageId) {
      return oneMessage(await rpc.call(userId, "delete_message", { p_message_id: messageId }));
    },

    async setReaction(userId, messageId, emoji, on) {
      const args = { p_message_id: messageId, p_emoji: emoji };
      return oneMessage(await rpc.call(userId, on ? "add_reaction" : "remove_reaction", args));
    },

    async listChanges(userId, { peerId, conversationId, after, limit }) {
      const [row] = await rpc.call(userId, "get_changes", {
        p_peer_id: peerId,
        p_conversation_id: conversationId,
        p_after: after,
        p_limit: limit,
      });
      if (!row) throw new Error("get_changes returned no row");
      return toChanges(row);
    },
  };
}
