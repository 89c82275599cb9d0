/**
 * The few things the SQL store needs from a Postgres driver. PGlite (embedded) and `pg`
 * (any Postgres) both fit behind it, so every query is written once.
 */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs several statements separated by semicolons, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  /**
   * Runs parameterless statements separated by semicolons in one round trip (the simple query
   * protocol), as one transaction: the server commits after the last one, or rolls all back
   * when one fails. Resolves to the last statement's rows.
   */
  script<Row = Record<string, unknown>>(sql: string): Promise<Row[]>;
  /**
   * Runs `fn` in a transaction. `prelude` (parameterless SQL) runs right after BEGIN, in the
   * same round trip where the driver allows it.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: { prelude?: string }): Promise<T>;
  close(): Promise<void>;
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** What Postgres answers for a NUL in text (it cannot store one); thrown before the text is sent. */
class NulInTextError extends Error {
  readonly code = "22021";
  constructor() {
    super('invalid byte sequence for encoding "UTF8": 0x00');
  }
}

/** One text value as SQL (an escape string when it holds a backslash, so standard_conforming_strings does not matter). */
function textLiteral(text: string): string {
  // IMPORTANT: the wire protocol ends a query at a NUL; one inside a literal would cut the statement.
  if (text.includes("\0")) throw new NulInTextError();
  const quoted = `'${text.replace(/'/g, "''")}'`;
  return text.includes("\\") ? ` E${quoted.replace(/\\/g, "\\\\")}` : quoted;
}

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  return `"${textOf(value).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(",")}}`;
  return JSON.stringify(value);
}

/**
 * A value as an untyped SQL literal, the way a driver sends a parameter (text, type left to the
 * server): null, strings, numbers, booleans, dates, one-dimensional arrays, JSON objects.
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  return textLiteral(textOf(value));
}

/** Settings the schema's functions read for this transaction only. */
export interface UserTransactionSettings {
  /** The send limit the SQL enforces (`chat.send_limit`); otherwise the database's `app_settings` row (60/10 s). */
  sendLimit?: { points: number; durationSeconds: number };
  /** GROUP_MAX_MEMBERS for the SQL (`chat.group_max_members`); otherwise the database's `app_settings` row (100). */
  groupMaxMembers?: number;
  /** ATTACHMENT_MAX_BYTES and ATTACHMENT_QUOTA_BYTES for the SQL; otherwise the database's `app_settings` rows. */
  attachments?: { maxBytes: number; quotaBytes: number };
  /** EDIT_WINDOW_SECONDS for the SQL (`chat.edit_window_seconds`); otherwise the database's `app_settings` row (24 h). */
  editWindowSeconds?: number;
}

/**
 * Runs `fn` in a transaction as the signed-in user: role `authenticated` and the JWT claims
 * that `auth.uid()` reads, exactly as Supabase's API does. Row level security is the guard.
 */
export function asUser<T>(
  db: SqlClient,
  userId: string,
  fn: (tx: SqlExecutor) => Promise<T>,
  settings: UserTransactionSettings = {},
): Promise<T> {
  return db.transaction(fn, { prelude: userPrelude(userId, settings) });
}

/**
 * One statement as the signed-in user in one database round trip: the claims' `set_config`
 * and `statement` go as one script, so they share one transaction and the settings end with it.
 * Same guard as `asUser` (role `authenticated`, JWT claims, row level security), but the
 * statement is planned after the role switch, so its privileges are checked as that role too.
 * `statement` takes no parameters: build values into it with `sqlLiteral`.
 */
export function queryAsUser<Row>(db: SqlClient, userId: string, statement: string, settings: UserTransactionSettings = {}): Promise<Row[]> {
  return db.script<Row>(`${userPrelude(userId, settings)}; ${statement}`);
}

function userPrelude(userId: string, { sendLimit, groupMaxMembers, editWindowSeconds, attachments }: UserTransactionSettings): string {
  const claims = quoteLiteral(JSON.stringify({ sub: userId, role: "authenticated" }));
  let prelude = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
  if (sendLimit) {
    const rule = `${Math.trunc(sendLimit.points)}/${Math.trunc(sendLimit.durationSeconds)}`;
    prelude += `, set_config('chat.send_limit', ${quoteLiteral(rule)}, true)`;
  }
  if (groupMaxMembers) prelude += `, set_config('chat.group_max_members', '${Math.trunc(groupMaxMembers)}', true)`;
  if (attachments) {
    prelude += `, set_config('chat.attachment_max_bytes', '${Math.trunc(attachments.maxBytes)}', true)`;
    prelude += `, set_config('chat.attachment_quota_bytes', '${Math.trunc(attachments.quotaBytes)}', true)`;
  }
  if (editWindowSeconds !== undefined) prelude += `, set_config('chat.edit_window_seconds', '${Math.trunc(editWindowSeconds)}', true)`;
  return prelude;
}

/** Postgres error codes the store translates into domain errors. */
export const PG_ERRORS = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  checkViolation: "23514",
  insufficientPrivilege: "42501",
  invalidParameterValue: "22023",
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return undefined;
}
