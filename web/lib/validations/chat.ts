import { z } from "zod";

import {
  CHANGES_MAX_LIMIT,
  DISPLAY_NAME_MAX,
  GROUP_MEMBER_IDS_MAX,
  GROUP_NAME_MAX,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_CONTENT_LENGTH,
  ONE_EMOJI,
} from "@/lib/limits";

export {
  DISPLAY_NAME_MAX,
  GROUP_NAME_MAX,
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  MAX_CONTENT_LENGTH,
  USER_SEARCH_LIMIT,
} from "@/lib/limits";

const codePoints = (value: string) => [...value].length;

export const messageContentSchema = z
  .string({ error: "content must be a string" })
  .refine((value) => value.isWellFormed(), "content must be valid Unicode (no lone surrogates)")
  .refine((value) => !value.includes("\u0000"), "content must not contain NUL characters")
  // Explicit bidi overrides and isolates are how "evil\u202Etxt.exe" spoofing works; natural
  // right-to-left text never needs them.
  .refine((value) => !/[\u202a-\u202e\u2066-\u2069]/.test(value), "content must not contain bidirectional override characters")
  .transform((value) => value.trim())
  .refine((value) => value.length > 0, "content must not be empty")
  // Zero-width spaces and other format characters look like nothing: an empty message in disguise.
  // The SQL (checked_message_content) enforces the same rule for direct PostgREST callers.
  .refine((value) => value.length === 0 || !/^[\s\p{Cf}]*$/u.test(value), "content must not be only invisible characters")
  .refine((value) => codePoints(value) <= MAX_CONTENT_LENGTH, `content must be at most ${MAX_CONTENT_LENGTH} characters`);

/**
 * Exactly one of a person (direct) and a conversation (a group, or a direct one by its id):
 * `{ peer }` and `{ conversation }` name the two keys of an input.
 */
function exactlyOneTarget<T extends Record<string, unknown>>(peer: keyof T & string, conversation: keyof T & string) {
  return (input: T, context: z.RefinementCtx) => {
    const hasPeer = input[peer] !== undefined;
    const hasConversation = input[conversation] !== undefined;
    if (hasPeer && hasConversation) {
      context.addIssue({ code: "custom", path: [conversation], message: `use either ${peer} or ${conversation}, not both` });
    } else if (!hasPeer && !hasConversation) {
      context.addIssue({ code: "custom", path: [peer], message: `${peer} (a user id) or ${conversation} is required` });
    }
  };
}

const conversationIdSchema = (name: string) => z.uuid({ error: `${name} must be a conversation id (UUID)` });

/** `{ recipientId }` (direct: the conversation is found or made) or `{ conversationId }` (a group, or a direct one by its id). */
export const sendMessageSchema = z
  .strictObject({
    recipientId: z.uuid({ error: "recipientId must be a UUID" }).optional(),
    conversationId: conversationIdSchema("conversationId").optional(),
    /** Optional when `attachmentIds` names at least one attachment. */
    content: z.string({ error: "content must be a string" }).optional(),
    clientId: z.uuid({ error: "clientId must be a UUID" }),
    /** An earlier message of the same conversation (else 422 invalid_reply). */
    replyToId: z.uuid({ error: "replyToId must be a message id (UUID)" }).optional(),
    /** Own completed uploads of this conversation, in order (more than 10: 422 too_many_attachments). */
    attachmentIds: z
      .array(z.uuid({ error: "attachmentIds must hold attachment ids (UUID)" }))
      .max(100, "attachmentIds must hold at most 100 ids")
      .refine((ids) => new Set(ids).size === ids.length, "attachmentIds must not repeat an id")
      .optional(),
  })
  .superRefine(exactlyOneTarget("recipientId", "conversationId"))
  .transform((input, context) => {
    // With attachments, no text (or only spaces) is fine; otherwise the content rules apply.
    if ((input.attachmentIds?.length ?? 0) > 0 && (input.content ?? "").trim() === "") return { ...input, content: "" };
    const content = messageContentSchema.safeParse(input.content);
    if (content.success) return { ...input, content: content.data };
    for (const issue of content.error.issues) context.addIssue({ code: "custom", path: ["content"], message: issue.message });
    return z.NEVER;
  });
export type SendMessageInput = z.infer<typeof sendMessageSchema>;

/** Query string values are strings; limit is clamped rather than refused. */
const clampedLimitSchema = (fallback: number, max: number) =>
  z
    .string()
    .regex(/^-?\d{1,12}$/, "limit must be an integer")
    .transform((value) => Math.min(max, Math.max(1, Number(value))))
    .optional()
    .transform((value) => value ?? fallback);
const limitSchema = clampedLimitSchema(HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT);

/** `with=USER_ID` (direct) or `conversation=ID` (either kind), exactly one; the same paging. */
export const historyQuerySchema = z
  .strictObject({
    with: z.uuid({ error: "with must be a user id (UUID)" }).optional(),
    conversation: conversationIdSchema("conversation").optional(),
    limit: limitSchema,
    before: z.uuid({ error: "before must be a message id (UUID)" }).optional(),
    after: z.uuid({ error: "after must be a message id (UUID)" }).optional(),
  })
  .superRefine(exactlyOneTarget("with", "conversation"))
  .refine((query) => !(query.before && query.after), { message: "use either before or after, not both", path: ["after"] });
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** `q`: an exact email address finds anyone; a prefix finds people you already have a conversation with. */
export const userSearchQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1, "q must have at least 1 character")
    .max(254, "q is too long")
    .refine((value) => !value.includes("\u0000"), "q must not contain NUL characters"),
});

/** `{ peerId }` (direct) or `{ conversationId }` (either kind), exactly one. */
export const markReadSchema = z
  .strictObject({
    peerId: z.uuid({ error: "peerId must be a user id (UUID)" }).optional(),
    conversationId: conversationIdSchema("conversationId").optional(),
    /** The seq of the newest message the user has seen. */
    seq: z.number({ error: "seq must be a number" }).int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .superRefine(exactlyOneTarget("peerId", "conversationId"));
export type MarkReadInput = z.infer<typeof markReadSchema>;

/**
 * A group's name: the display-name rules, and required (not empty, not only invisible
 * characters). The SQL (checked_group_name) enforces the same for direct PostgREST callers.
 */
export const groupNameSchema = z
  .string({ error: "name must be a string" })
  .refine(
    (value) => value.isWellFormed() && !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(value),
    "name has characters that are not allowed",
  )
  .transform((value) => value.trim())
  .refine((value) => !/^[\s\p{Cf}]*$/u.test(value), "name must not be empty")
  .refine((value) => [...value].length <= GROUP_NAME_MAX, `name must be at most ${GROUP_NAME_MAX} characters`);

/** User ids of a request; how many a group may have is the server's GROUP_MAX_MEMBERS (422 group_too_large). */
const userIdsSchema = (name: string) =>
  z
    .array(z.uuid({ error: `${name} must hold user ids (UUIDs)` }), { error: `${name} must be a list of user ids` })
    .max(GROUP_MEMBER_IDS_MAX, `${name} may hold at most ${GROUP_MEMBER_IDS_MAX} ids`);

export const createConversationSchema = z.strictObject({
  kind: z.literal("group", { error: 'kind must be "group"' }),
  name: groupNameSchema,
  /** The other members; the creator is added as owner. */
  memberIds: userIdsSchema("memberIds"),
});
export type CreateConversationInput = z.infer<typeof createConversationSchema>;

export const updateConversationSchema = z.strictObject({ name: groupNameSchema });
export type UpdateConversationInput = z.infer<typeof updateConversationSchema>;

export const addMembersSchema = z.strictObject({ userIds: userIdsSchema("userIds").min(1, "userIds must name at least one user") });
export type AddMembersInput = z.infer<typeof addMembersSchema>;

/** Path parameters of the conversation routes. */
export const conversationParamsSchema = z.strictObject({ id: conversationIdSchema("id") });
export const memberParamsSchema = z.strictObject({
  id: conversationIdSchema("id"),
  userId: z.uuid({ error: "userId must be a user id (UUID)" }),
});

export const updateProfileSchema = z.strictObject({
  displayName: z
    .string()
    .refine(
      (value) => value.isWellFormed() && !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(value),
      "displayName has characters that are not allowed",
    )
    .transform((value) => value.trim())
    .refine((value) => [...value].length <= DISPLAY_NAME_MAX, `displayName must be at most ${DISPLAY_NAME_MAX} characters`)
    .nullable(),
});

/** `PATCH /api/chat/messages/ID`: the new text, by the same rules as sending. */
export const editMessageSchema = z.strictObject({ content: messageContentSchema });
export type EditMessageInput = z.infer<typeof editMessageSchema>;

/** Path parameters of the message routes. */
export const messageParamsSchema = z.strictObject({ id: z.uuid({ error: "id must be a message id (UUID)" }) });

/** Decodes a path segment that arrives still percent-encoded (an emoji never holds a `%`). */
function decodeSegment(value: string): string {
  if (!/%[0-9a-f]{2}/i.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A reaction: one emoji (the URL's segment, URL-encoded). */
export const emojiSchema = z
  .string({ error: "emoji must be a string" })
  .transform(decodeSegment)
  .refine((value) => ONE_EMOJI.test(value), "emoji must be exactly one emoji");

export const reactionParamsSchema = z.strictObject({
  id: z.uuid({ error: "id must be a message id (UUID)" }),
  emoji: emojiSchema,
});

/** `conversationId=ID` or `with=USER_ID` (exactly one), `after` the last position applied (default 0), `limit` clamped to 1–100. */
export const changesQuerySchema = z
  .strictObject({
    conversationId: conversationIdSchema("conversationId").optional(),
    with: z.uuid({ error: "with must be a user id (UUID)" }).optional(),
    after: z
      .string()
      .regex(/^\d{1,15}$/, "after must be a position (an integer ≥ 0)")
      .transform(Number)
      .optional()
      .transform((value) => value ?? 0),
    limit: clampedLimitSchema(CHANGES_MAX_LIMIT, CHANGES_MAX_LIMIT),
  })
  .superRefine(exactlyOneTarget("with", "conversationId"));
export type ChangesQuery = z.infer<typeof changesQuerySchema>;
