import { z } from "zod";

import { DISPLAY_NAME_MAX, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, MAX_CONTENT_LENGTH } from "@/lib/limits";

export { DISPLAY_NAME_MAX, HISTORY_DEFAULT_LIMIT, HISTORY_MAX_LIMIT, MAX_CONTENT_LENGTH, USER_SEARCH_LIMIT } from "@/lib/limits";

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

export const sendMessageSchema = z.strictObject({
  recipientId: z.uuid({ error: "recipientId must be a UUID" }),
  content: messageContentSchema,
  clientId: z.uuid({ error: "clientId must be a UUID" }),
});
export type SendMessageInput = z.infer<typeof sendMessageSchema>;

/** Query string values are strings; limit is clamped rather than refused. */
const limitSchema = z
  .string()
  .regex(/^-?\d{1,12}$/, "limit must be an integer")
  .transform((value) => Math.min(HISTORY_MAX_LIMIT, Math.max(1, Number(value))))
  .optional()
  .transform((value) => value ?? HISTORY_DEFAULT_LIMIT);

export const historyQuerySchema = z
  .strictObject({
    with: z.uuid({ error: "with must be a user id (UUID)" }),
    limit: limitSchema,
    before: z.uuid({ error: "before must be a message id (UUID)" }).optional(),
    after: z.uuid({ error: "after must be a message id (UUID)" }).optional(),
  })
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

export const markReadSchema = z.strictObject({
  peerId: z.uuid({ error: "peerId must be a user id (UUID)" }),
  /** The seq of the newest message the user has seen. */
  seq: z.number({ error: "seq must be a number" }).int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type MarkReadInput = z.infer<typeof markReadSchema>;

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
