import type { ChangesPage, ChatMessage, ConversationDetail, ConversationSummary, HistoryPage, ReadState, UserProfile } from "@/lib/types";
import type {
  AddMembersInput,
  ChangesQuery,
  CreateConversationInput,
  EditMessageInput,
  HistoryQuery,
  MarkReadInput,
  SendMessageInput,
  UpdateConversationInput,
} from "@/lib/validations/chat";
import { USER_SEARCH_LIMIT } from "@/lib/validations/chat";
import { badRequest, DomainError, notFound } from "@/server/errors";
import type { RealtimePush } from "@/server/realtime/push";
import type { RateLimits } from "@/server/rate-limit";
import type { ChatStore, ConversationTarget } from "@/server/store/types";
import { MAX_ATTACHMENTS_PER_MESSAGE } from "@/lib/validations/attachments";

export interface ChatDeps {
  store: ChatStore;
  push: RealtimePush;
  limits: RateLimits;
}

const CONVERSATION_LIST_LIMIT = 100;

/** The same message as the SQL raises (send_message): another message already has this clientId. */
const tooManyAttachments = () =>
  new DomainError(422, "too_many_attachments", `A message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments.`);

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
  if ((input.attachmentIds?.length ?? 0) > MAX_ATTACHMENTS_PER_MESSAGE) throw tooManyAttachments();
  try {
    await limits.consume("sendPerUser", senderId);
  } catch (error) {
    // A retry of a message that is already stored is answered even over the limit: it stores
    // nothing, and the client's outbox must be able to learn that its send went through.
    const stored = await store.findSentMessage(senderId, input.clientId);
    if (!stored) throw error;
    const sameTarget = input.conversationId
      ? stored.conversationId === input.conversationId
      : stored.recipientId !== null && stored.recipientId === input.recipientId;
    // Once edited or deleted, the first text is gone: only the target is compared (as the SQL does).
    const changed = !!stored.editedAt || !!stored.deletedAt;
    const sameMessage = changed || (stored.content === input.content && (stored.replyTo?.id ?? undefined) === input.replyToId);
    if (!sameTarget || !sameMessage) throw clientIdConflict();
    return { message: stored, created: false };
  }
  if (input.recipientId === senderId) throw badRequest("cannot_message_self", "You cannot send a message to yourself.");
  // No separate lookup of the recipient: the insert's foreign key refuses an unknown one, and
  // the store turns that into user_not_found (one transaction per send instead of two).
  const result = await store.insertMessage(senderId, input);
  push.messageCreated(result.message);
  return result;
}

/** `{ peerId }` or `{ conversationId }`, from an input that has exactly one of them (the schemas check). */
function toTarget(peerId: string | undefined, conversationId: string | undefined): ConversationTarget {
  if (conversationId !== undefined) return { conversationId };
  if (peerId === undefined) throw new Error("neither a peer nor a conversation");
  return { peerId };
}

/**
 * One page of a conversation (`with` a person, or by `conversation` id), oldest first. `before`
 * pages back, `after` catches up. A conversation id the user is not a member of: 404. As the JSON
 * text of a `HistoryPage`: the database builds the messages in their wire shape (as for the
 * pushes), so the route passes the page through unparsed.
 */
export async function getHistoryJson({ store }: Pick<ChatDeps, "store">, userId: string, query: HistoryQuery): Promise<string> {
  if (query.with === userId) return '{"messages":[],"nextBefore":null}';
  const page = await store.listMessages(userId, {
    ...toTarget(query.with, query.conversation),
    limit: query.limit,
    before: query.before,
    after: query.after,
  });
  if (!page) throw badRequest("invalid_cursor", "The cursor is not a message of this conversation.");
  // A full page going backwards may have more before it; catch-up pages forward instead.
  const nextBefore = !query.after && page.count === query.limit ? page.firstId : null;
  return `{"messages":${page.json},"nextBefore":${JSON.stringify(nextBefore)}}`;
}

/** `getHistoryJson`, parsed. */
export async function getHistory(deps: Pick<ChatDeps, "store">, userId: string, query: HistoryQuery): Promise<HistoryPage> {
  return JSON.parse(await getHistoryJson(deps, userId, query)) as HistoryPage;
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
 * Marks a conversation (with `peerId`, or by `conversationId`) read up to `seq` and tells the
 * members' tabs (the others show "Seen", the user's other tabs clear the unread count).
 */
export async function markRead(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  input: MarkReadInput,
): Promise<ReadState> {
  if (input.peerId === userId) throw badRequest("cannot_message_self", "There is no conversation with yourself.");
  const state = await store.markRead(userId, toTarget(input.peerId, input.conversationId), input.seq);
  if (!state) {
    throw input.conversationId
      ? conversationNotFound()
      : notFound("conversation_not_found", "There is no conversation with that user yet.");
  }
  push.readUpdated(state);
  return state;
}

const conversationNotFound = () => notFound("conversation_not_found", "There is no such conversation.");

/** One conversation with its full member list; 404 conversation_not_found for anyone but its members. */
export async function getConversation(
  { store }: Pick<ChatDeps, "store">,
  userId: string,
  conversationId: string,
): Promise<ConversationDetail> {
  const detail = await store.getConversation(userId, conversationId);
  if (!detail) throw conversationNotFound();
  return detail;
}

const memberIdsOf = (detail: ConversationDetail) => detail.memberList.map((member) => member.user.id);

/**
 * A group of the user (its owner) and `memberIds`: 3 to GROUP_MAX_MEMBERS in all (the SQL counts:
 * 422 group_too_small / group_too_large), everyone known (404 user_not_found). Its timeline starts
 * with a group_created system message, pushed to every member.
 */
export async function createConversation(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  input: CreateConversationInput,
): Promise<ConversationDetail> {
  const detail = await store.createGroup(userId, { name: input.name, memberIds: input.memberIds });
  push.conversationUpdated(
    { conversationId: detail.id, name: detail.name, memberIds: memberIdsOf(detail), removedIds: [] },
    memberIdsOf(detail),
  );
  return detail;
}

/** Renames a group (owners: 403 not_owner otherwise; 422 not_a_group for a direct conversation). */
export async function updateConversation(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  conversationId: string,
  input: UpdateConversationInput,
): Promise<ConversationDetail> {
  const detail = await store.renameGroup(userId, conversationId, input.name);
  push.conversationUpdated({ conversationId, name: detail.name, memberIds: memberIdsOf(detail), removedIds: [] }, memberIdsOf(detail));
  return detail;
}

/** Adds members to a group (owners); present members are ignored; 422 group_too_large past GROUP_MAX_MEMBERS. */
export async function addMembers(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  conversationId: string,
  input: AddMembersInput,
): Promise<ConversationDetail> {
  const detail = await store.addMembers(userId, conversationId, input.userIds);
  push.conversationUpdated({ conversationId, name: detail.name, memberIds: memberIdsOf(detail), removedIds: [] }, memberIdsOf(detail));
  return detail;
}

/**
 * Removes `memberId` from a group: owners remove anyone, anyone removes themselves (leaves:
 * `{ left: true }`). The removed lose access to the whole conversation at once. When the last
 * owner leaves, the longest-standing member becomes owner (the SQL decides, under the lock).
 */
export async function removeMember(
  { store, push }: Pick<ChatDeps, "store" | "push">,
  userId: string,
  conversationId: string,
  memberId: string,
): Promise<ConversationDetail | { left: true }> {
  const result = await store.removeMember(userId, conversationId, memberId);
  const memberIds = "memberList" in result ? memberIdsOf(result) : [];
  const name = "memberList" in result ? result.name : null;
  push.conversationUpdated({ conversationId, name, memberIds, removedIds: [memberId] }, [...memberIds, memberId]);
  return result;
}

export function getProfile({ store }: Pick<ChatDeps, "store">, userId: string): Promise<UserProfile | null> {
  return store.findProfile(userId, userId);
}

export function updateProfile({ store }: Pick<ChatDeps, "store">, userId: string, displayName: string | null): Promise<UserProfile> {
  return store.updateProfile(userId, displayName || null);
}

/**
 * Edits the user's own text message (same content rules as sending; within EDIT_WINDOW_SECONDS,
 * 422 edit_window_closed; 403 not_your_message; 404 message_not_found, also for non-members; 409
 * message_deleted). The SQL records the change and its `message.changed` push in the same
 * transaction; the same text again is a no-op.
 */
export async function editMessage(
  { store, push, limits }: Pick<ChatDeps, "store" | "push" | "limits">,
  userId: string,
  messageId: string,
  input: EditMessageInput,
): Promise<ChatMessage> {
  await limits.consume("messageActions", userId);
  const message = await store.editMessage(userId, messageId, input.content);
  push.messageChanged(message);
  return message;
}

/** Deletes the user's own message: a tombstone (content "", no reactions, `deletedAt`). Idempotent. */
export async function deleteMessage(
  { store, push, limits }: Pick<ChatDeps, "store" | "push" | "limits">,
  userId: string,
  messageId: string,
): Promise<ChatMessage> {
  await limits.consume("messageActions", userId);
  const message = await store.deleteMessage(userId, messageId);
  push.messageChanged(message);
  return message;
}

/**
 * Adds (`on`) or removes the user's reaction `emoji` on a message of one of their conversations.
 * Idempotent; 409 message_deleted, 422 system_message, 422 too_many_reactions (20 different emoji).
 */
export async function setReaction(
  { store, push, limits }: Pick<ChatDeps, "store" | "push" | "limits">,
  userId: string,
  messageId: string,
  emoji: string,
  on: boolean,
): Promise<ChatMessage> {
  await limits.consume("messageActions", userId);
  const message = await store.setReaction(userId, messageId, emoji, on);
  push.messageChanged(message);
  return message;
}

/**
 * A conversation's changes after `after`, in order, each with the message as it is now.
 * `nextAfter` is the last change's pos while more may follow (a full page short of `lastPos`).
 */
export async function getChanges({ store }: Pick<ChatDeps, "store">, userId: string, query: ChangesQuery): Promise<ChangesPage> {
  if (query.with === userId) return { changes: [], nextAfter: null, lastPos: 0 };
  const { changes, lastPos } = await store.listChanges(userId, {
    ...toTarget(query.with, query.conversationId),
    after: query.after,
    limit: query.limit,
  });
  const last = changes.at(-1);
  const nextAfter = last && changes.length === query.limit && last.pos < lastPos ? last.pos : null;
  return { changes, nextAfter, lastPos };
}

export { searchMessages } from "./search";
