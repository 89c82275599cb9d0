import type { ChatMessage, ConversationSummary, HistoryPage, ReadState, UserProfile } from "@/lib/types";
import type { HistoryQuery, MarkReadInput, SendMessageInput } from "@/lib/validations/chat";
import { USER_SEARCH_LIMIT } from "@/lib/validations/chat";
import { badRequest, DomainError, notFound } from "@/server/errors";
import type { RealtimePush } from "@/server/realtime/push";
import type { RateLimits } from "@/server/rate-limit";
import type { ChatStore } from "@/server/store/types";

export interface ChatDeps {
  store: ChatStore;
  push: RealtimePush;
  limits: RateLimits;
}

const CONVERSATION_LIST_LIMIT = 100;

/** The same message as the SQL raises (send_message): another message already has this clientId. */
const clientIdConflict = () => new DomainError(409, "client_id_conflict", "This clientId was already used for another message.");

/**
 * Stores a message once per (sender, clientId) and pushes it to the socket server.
 * A repeat returns the stored message with `created: false` and pushes again: the socket
 * server drops the duplicate webhook id, and an earlier lost push gets another chance. The same
 * clientId with another recipient or content is 409 `client_id_conflict` (the store raises it).
 */
export async function sendMessage(
  { store, push, limits }: ChatDeps,
  senderId: string,
  input: SendMessageInput,
): Promise<{ message: ChatMessage; created: boolean }> {
  try {
    await limits.consume("sendPerUser", senderId);
  } catch (error) {
    // A retry of a message that is already stored is answered even over the limit: it stores
    // nothing, and the client's outbox must be able to learn that its send went through.
    const stored = await store.findSentMessage(senderId, input.clientId);
    if (!stored) throw error;
    if (stored.recipientId !== input.recipientId || stored.content !== input.content) throw clientIdConflict();
    return { message: stored, created: false };
  }
  if (input.recipientId === senderId) throw badRequest("cannot_message_self", "You cannot send a message to yourself.");
  // No separate lookup of the recipient: the insert's foreign key refuses an unknown one, and
  // the store turns that into user_not_found (one transaction per send instead of two).
  const result = await store.insertMessage(senderId, input);
  push.messageCreated(result.message);
  return result;
}

/** One page of a conversation, oldest first. `before` pages back, `after` catches up. */
export async function getHistory({ store }: Pick<ChatDeps, "store">, userId: string, query: HistoryQuery): Promise<HistoryPage> {
  if (query.with === userId) return { messages: [], nextBefore: null };
  const messages = await store.listMessages(userId, {
    peerId: query.with,
    limit: query.limit,
    before: query.before,
    after: query.after,
  });
  if (!messages) throw badRequest("invalid_cursor", "The cursor is not a message of this conversation.");
  // A full page going backwards may have more before it; catch-up pages forward instead.
  const nextBefore = !query.after && messages.length === query.limit ? (messages[0]?.id ?? null) : null;
  return { messages, nextBefore };
}

export function listConversations({ store }: Pick<ChatDeps, "store">, userId: string): Promise<ConversationSummary[]> {
  return store.listConversations(userId, CONVERSATION_LIST_LIMIT);
}

/**
 * People to talk to: anyone by their exact email address, people the user already has a
 * conversation with also by email prefix. Rate-limited per user, since it answers whether an
 * address has an account.
 */
export async function searchUsers(
  { store, limits }: Pick<ChatDeps, "store" | "limits">,
  userId: string,
  query: string,
): Promise<UserProfile[]> {
  await limits.consume("usersSearch", userId);
  return store.searchProfiles(userId, query, USER_SEARCH_LIMIT);
}

/**
 * Marks the conversation with `peerId` read up to `seq` and tells both participants' tabs
 * (the peer shows "Seen", the user's other tabs clear the unread count).
 */
export async function markRead(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  input: MarkReadInput,
): Promise<ReadState> {
  if (input.peerId === userId) throw badRequest("cannot_message_self", "There is no conversation with yourself.");
  const state = await store.markRead(userId, input.peerId, input.seq);
  if (!state) throw notFound("conversation_not_found", "There is no conversation with that user yet.");
  push.readUpdated(state);
  return state;
}

export function getProfile({ store }: Pick<ChatDeps, "store">, userId: string): Promise<UserProfile | null> {
  return store.findProfile(userId, userId);
}

export function updateProfile({ store }: Pick<ChatDeps, "store">, userId: string, displayName: string | null): Promise<UserProfile> {
  return store.updateProfile(userId, displayName || null);
}
