import type {
  Attachment,
  ChangesPage,
  ChatMessage,
  ConversationDetail,
  ConversationSummary,
  HistoryPage,
  ReadState,
  UploadTarget,
} from "@/lib/types";
import type { ApiResponse, UserProfile } from "@/lib/types";

/** A failed API call: the server's `{ error }` body, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  /** From a `Retry-After` header (429, 503): how long to wait before trying again. */
  readonly retryAfterMs?: number;

  constructor(status: number, code: string, message: string, details?: unknown, retryAfterMs?: number) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }
}

/** `Retry-After` as milliseconds: delay-seconds or an HTTP date; undefined when absent or malformed. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ApiFetchOptions extends Omit<RequestInit, "body"> {
  /** Sent as a JSON body (sets Content-Type). */
  json?: unknown;
  /** Query string values; undefined ones are left out. */
  query?: Record<string, string | number | undefined>;
  /** Gives up after this many milliseconds (default 15 s). */
  timeoutMs?: number;
}

/**
 * Calls one of our JSON route handlers and returns its `data`, or throws an ApiError.
 * Same-origin only: the session travels in the cookie.
 */
export async function apiFetch<T>(path: string, options: ApiFetchOptions = {}): Promise<T> {
  const { json, query, timeoutMs = 15_000, headers, signal, ...init } = options;

  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }

  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      credentials: "same-origin",
      cache: "no-store",
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      headers: {
        Accept: "application/json",
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  } catch (error) {
    // A caller's own abort is not a failure worth reporting; let it through unchanged.
    if (signal?.aborted) throw error;
    const timedOut = timeout.aborted;
    throw new ApiError(
      0,
      timedOut ? "timeout" : "network_error",
      timedOut ? "The server took too long to answer." : "Could not reach the server.",
    );
  }

  const body = (await response.json().catch(() => null)) as ApiResponse<T> | null;
  // A 2xx without a JSON body (e.g. 204) carries no data.
  if (response.ok && !body?.error) return body?.data as T;

  const error = body?.error;
  throw new ApiError(
    response.status,
    error?.code ?? "http_error",
    error?.message ?? `Request failed (${response.status}).`,
    error?.details,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** What an endpoint call needs; `apiFetch` in the browser, a cookie-carrying fetch in Node tests. */
export interface ApiCallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  json?: unknown;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
}
export type ApiCall = <T>(path: string, options?: ApiCallOptions) => Promise<T>;

/** One page of a conversation: a group by id, a direct one by the peer (`with`). Exactly one of the two. */
export type HistoryQuery = ({ conversation: string; with?: never } | { with: string; conversation?: never }) & {
  limit: number;
  before?: string;
  after?: string;
};

/** A message to a conversation (groups) or to a person (direct: opens or uses the conversation). */
export type SendInput = ({ conversationId: string; recipientId?: never } | { recipientId: string; conversationId?: never }) & {
  content: string;
  clientId: string;
  /** An earlier message of the same conversation this one replies to. */
  replyToId?: string;
  /** Ready uploads of this conversation, in order (content may be "" then). */
  attachmentIds?: string[];
};

/** A page of a conversation's change stream after `after` (a group by id, a direct one by the peer). */
export type ChangesQuery = ({ conversationId: string; with?: never } | { with: string; conversationId?: never }) & {
  after: number;
  limit?: number;
};

/** Where an upload goes: a group by id, a direct conversation by the peer (`with`). */
export type UploadDestination = { conversationId: string; with?: never } | { with: string; conversationId?: never };

/** Asks for an upload target: the file's name, the browser's type guess and its size. */
export type CreateAttachmentInput = UploadDestination & { name: string; contentType: string; size: number };

/** Moves my read position in a conversation (groups) or in the direct one with a peer. */
export type ReadInput = ({ conversationId: string; peerId?: never } | { peerId: string; conversationId?: never }) & { seq: number };

/** The chat HTTP API; every call throws an `ApiError` (status 0 for the network) on failure. */
export interface ChatApi {
  listConversations(): Promise<ConversationSummary[]>;
  fetchHistory(query: HistoryQuery): Promise<HistoryPage>;
  markRead(input: ReadInput): Promise<ReadState>;
  sendMessage(input: SendInput, options?: { timeoutMs?: number }): Promise<ChatMessage>;
  /** 404 `conversation_not_found` for a non-member. */
  getConversation(conversationId: string): Promise<ConversationDetail>;
  /** 404 `user_not_found`; 422 `validation_failed`, `group_too_small`, `group_too_large`. */
  createGroup(input: { name: string; memberIds: string[] }): Promise<ConversationDetail>;
  /** 403 `not_owner`; 422 `not_a_group`. */
  renameGroup(conversationId: string, name: string): Promise<ConversationDetail>;
  /** Members already in are ignored. 403 `not_owner`; 422 `group_too_large`. */
  addMembers(conversationId: string, userIds: string[]): Promise<ConversationDetail>;
  /** Owners remove anyone, anyone removes themselves (`{ left: true }`). 403 `not_owner`; 404 `member_not_found`. */
  removeMember(conversationId: string, userId: string): Promise<ConversationDetail | { left: true }>;
  /** The changes after a position, in order. 404 `conversation_not_found`. */
  fetchChanges(query: ChangesQuery): Promise<ChangesPage>;
  /** Own text messages: 403 `not_your_message`, 404 `message_not_found`, 409 `message_deleted`, 422 `edit_window_closed`. */
  editMessage(messageId: string, content: string): Promise<ChatMessage>;
  /** Own messages; idempotent. Answers the tombstone. */
  deleteMessage(messageId: string): Promise<ChatMessage>;
  /** Idempotent. 409 `message_deleted`, 422 `too_many_reactions`. */
  addReaction(messageId: string, emoji: string): Promise<ChatMessage>;
  removeReaction(messageId: string, emoji: string): Promise<ChatMessage>;
  /** A pending attachment and where to PUT its bytes. 413 `attachment_too_large`, `quota_exceeded`; 429 `rate_limited`. */
  createAttachment(input: CreateAttachmentInput): Promise<UploadTarget>;
  /** The bytes are there: the server sniffs and checks them and answers the ready attachment. */
  completeAttachment(attachmentId: string): Promise<Attachment>;
  getProfile(): Promise<UserProfile>;
  updateProfile(input: { displayName: string | null }): Promise<UserProfile>;
  signOut(): Promise<void>;
}

/**
 * The group fields with their 1:1 meaning where a server before groups left them out (a rolling
 * deploy, an old cached page): a direct text message, a direct conversation of two.
 */
export function normalizeMessage(message: ChatMessage): ChatMessage {
  const raw = message as Partial<ChatMessage> & Omit<ChatMessage, "kind" | "system">;
  if (raw.kind !== undefined && raw.system !== undefined) return message;
  return { ...raw, recipientId: raw.recipientId ?? null, kind: raw.kind ?? "text", system: raw.system ?? null };
}

export function normalizeSummary<T extends ConversationSummary>(summary: T): T {
  const raw = summary as Partial<ConversationSummary> & T;
  // Defensive: a summary always has its last message (a group: at least `group_created`).
  const lastMessage = raw.lastMessage ? normalizeMessage(raw.lastMessage) : raw.lastMessage;
  if (raw.kind !== undefined && raw.members !== undefined && raw.readStates !== undefined && lastMessage === raw.lastMessage)
    return summary;
  const peer = raw.peer ?? null;
  return {
    ...raw,
    kind: raw.kind ?? "direct",
    name: raw.name ?? null,
    peer,
    members: raw.members ?? { count: 2, preview: peer ? [peer] : [] },
    role: raw.role ?? "member",
    lastMessage,
    peerLastReadSeq: raw.peerLastReadSeq ?? 0,
    readStates: raw.readStates ?? (peer ? [{ userId: peer.id, lastReadSeq: raw.peerLastReadSeq ?? 0 }] : []),
  };
}

const normalizePage = (page: HistoryPage): HistoryPage => ({ ...page, messages: page.messages.map(normalizeMessage) });

const messagePath = (messageId: string) => `/api/chat/messages/${encodeURIComponent(messageId)}`;
const reactionPath = (messageId: string, emoji: string) => `${messagePath(messageId)}/reactions/${encodeURIComponent(emoji)}`;

const conversationPath = (conversationId: string) => `/api/chat/conversations/${encodeURIComponent(conversationId)}`;

/** The chat endpoints over `call`: one list of paths and bodies for the browser and Node clients. */
export function createChatApi(call: ApiCall): ChatApi {
  return {
    listConversations: async () => (await call<ConversationSummary[]>("/api/chat/conversations")).map(normalizeSummary),
    fetchHistory: async (query) => normalizePage(await call<HistoryPage>("/api/chat/history", { query: { ...query } })),
    markRead: (input) => call<ReadState>("/api/chat/read", { method: "POST", json: input }),
    sendMessage: async (input, options = {}) =>
      normalizeMessage(await call<ChatMessage>("/api/chat/send", { method: "POST", json: input, ...options })),
    getConversation: async (conversationId) => normalizeSummary(await call<ConversationDetail>(conversationPath(conversationId))),
    createGroup: async ({ name, memberIds }) =>
      normalizeSummary(
        await call<ConversationDetail>("/api/chat/conversations", { method: "POST", json: { kind: "group", name, memberIds } }),
      ),
    renameGroup: async (conversationId, name) =>
      normalizeSummary(await call<ConversationDetail>(conversationPath(conversationId), { method: "PATCH", json: { name } })),
    addMembers: async (conversationId, userIds) =>
      normalizeSummary(
        await call<ConversationDetail>(`${conversationPath(conversationId)}/members`, { method: "POST", json: { userIds } }),
      ),
    removeMember: async (conversationId, userId) => {
      const result = await call<ConversationDetail | { left: true }>(
        `${conversationPath(conversationId)}/members/${encodeURIComponent(userId)}`,
        { method: "DELETE" },
      );
      return "left" in result ? result : normalizeSummary(result);
    },
    fetchChanges: async (query) => {
      const page = await call<ChangesPage>("/api/chat/changes", { query: { ...query } });
      return { ...page, changes: page.changes.map((change) => ({ ...change, message: normalizeMessage(change.message) })) };
    },
    editMessage: async (messageId, content) =>
      normalizeMessage(await call<ChatMessage>(messagePath(messageId), { method: "PATCH", json: { content } })),
    deleteMessage: async (messageId) => normalizeMessage(await call<ChatMessage>(messagePath(messageId), { method: "DELETE" })),
    addReaction: async (messageId, emoji) => normalizeMessage(await call<ChatMessage>(reactionPath(messageId, emoji), { method: "PUT" })),
    removeReaction: async (messageId, emoji) =>
      normalizeMessage(await call<ChatMessage>(reactionPath(messageId, emoji), { method: "DELETE" })),
    createAttachment: (input) => call<UploadTarget>("/api/chat/attachments", { method: "POST", json: input }),
    completeAttachment: (attachmentId) =>
      call<Attachment>(`/api/chat/attachments/${encodeURIComponent(attachmentId)}/complete`, { method: "POST" }),
    getProfile: () => call<UserProfile>("/api/profile"),
    updateProfile: (input) => call<UserProfile>("/api/profile", { method: "PATCH", json: input }),
    signOut: () => call<void>("/api/auth/logout", { method: "POST" }),
  };
}

/** The API said the conversation is not (or no longer) one of ours: a removed member, a stranger. */
export function isConversationGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === "conversation_not_found";
}
