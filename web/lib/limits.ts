// Limits shared by the browser and the server. Kept free of zod so the page's bundle does not
// pull the validation library in just to read four numbers.

/** Longest message, in Unicode code points (what Postgres' char_length counts). */
export const MAX_CONTENT_LENGTH = 4000;
export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 100;
export const USER_SEARCH_LIMIT = 20;
export const DISPLAY_NAME_MAX = 80;
