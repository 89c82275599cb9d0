import { z } from "zod";
import { SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, SEARCH_QUERY_MAX } from "@/lib/limits";

/**
 * Where a search page ends: the last result's rank (the database's `real`, exactly as it printed
 * it), creation time in microseconds and id. Opaque to clients: base64url of its JSON.
 */
export interface SearchCursor {
  rank: number;
  at: number;
  id: string;
}

const cursorSchema = z.strictObject({ r: z.number().finite(), t: z.number().int().safe(), id: z.uuid() });

const toBase64Url = (text: string) => btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

export function encodeSearchCursor(cursor: SearchCursor): string {
  return toBase64Url(JSON.stringify({ r: cursor.rank, t: cursor.at, id: cursor.id }));
}

/** The cursor's fields, or null when it is not one this server made. */
function decodeSearchCursor(value: string): SearchCursor | null {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(atob(value.replaceAll("-", "+").replaceAll("_", "/"))));
    return parsed.success ? { rank: parsed.data.r, at: parsed.data.t, id: parsed.data.id } : null;
  } catch {
    return null;
  }
}

/** `GET /api/chat/search?q=…&conversationId=…&limit=…&cursor=…`. */
export const searchQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1, "q must have at least 1 character")
    .max(SEARCH_QUERY_MAX, `q must be at most ${SEARCH_QUERY_MAX} characters`)
    .refine((value) => value.isWellFormed() && !value.includes("\u0000"), "q must be valid text without NUL characters"),
  conversationId: z.uuid({ error: "conversationId must be a conversation id (UUID)" }).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, "limit must be an integer")
    .transform(Number)
    .pipe(z.number().min(1, "limit must be at least 1").max(SEARCH_MAX_LIMIT, `limit must be at most ${SEARCH_MAX_LIMIT}`))
    .optional()
    .transform((value) => value ?? SEARCH_DEFAULT_LIMIT),
  cursor: z
    .string()
    .max(200, "cursor is not valid")
    .transform((value, context) => {
      const cursor = decodeSearchCursor(value);
      if (!cursor) context.addIssue({ code: "custom", message: "cursor is not valid (pass `next` from the previous page)" });
      return cursor ?? z.NEVER;
    })
    .optional(),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;
