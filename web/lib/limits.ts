// Limits shared by the browser and the server. Kept free of zod so the page's bundle does not
// pull the validation library in just to read four numbers.

/** Longest message, in Unicode code points (what Postgres' char_length counts). */
export const MAX_CONTENT_LENGTH = 4000;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;
export const USER_SEARCH_LIMIT = 20;
export const DISPLAY_NAME_MAX = 80;
/** Longest group name, in Unicode code points (the display-name rules). */
export const GROUP_NAME_MAX = 80;
/** Most ids one request may name (a sanity cap; the group size limit is GROUP_MAX_MEMBERS). */
export const GROUP_MEMBER_IDS_MAX = 1000;
/** GROUP_MAX_MEMBERS' default: most members of a group, its creator included. */
export const GROUP_MAX_MEMBERS_DEFAULT = 100;
/** Fewest members of a new group, its creator included. */
export const GROUP_MIN_MEMBERS = 3;
/** Message search (GET /api/chat/search): longest query, default and largest page. */
export const SEARCH_QUERY_MAX = 200;
export const SEARCH_DEFAULT_LIMIT = 20;
export const SEARCH_MAX_LIMIT = 50;
/** Most different emoji on one message (the SQL enforces it: 422 too_many_reactions). */
export const MAX_REACTIONS_PER_MESSAGE = 20;
/** Changes per page of `GET /api/chat/changes` (the default and the most). */
export const CHANGES_MAX_LIMIT = 100;
/** EDIT_WINDOW_SECONDS' default: a message can be edited for 24 hours after it was sent. */
export const EDIT_WINDOW_SECONDS_DEFAULT = 86_400;
/** ATTACHMENT_MAX_BYTES' default: the largest file one attachment may be (the page hands the configured value to the client). */
export const ATTACHMENT_MAX_BYTES_DEFAULT = 25 * 1024 * 1024;
/** Most files one message carries (the contract's MAX_ATTACHMENTS_PER_MESSAGE, without zod; a test keeps them equal). */
export const ATTACHMENTS_PER_MESSAGE_MAX = 10;
/** Largest JSON request body the API reads; past it, 413 payload_too_large. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/**
 * Exactly one emoji as Unicode recommends them (RGI: skin tones, ZWJ sequences, flags and keycaps
 * included): the reaction rule of the API (emojiSchema) and of the page's emoji box.
 * IMPORTANT: built with RegExp so TypeScript's ES2022 target accepts the `v` flag (Node 20 and
 * every current browser support it); the SQL (checked_emoji) applies a looser bound.
 */
export const ONE_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");
