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
   * Runs `fn` in a transaction. `prelude` (parameterless SQL) runs right after BEGIN, in the
   * same round trip where the driver allows it.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: { prelude?: string }): Promise<T>;
  close(): Promise<void>;
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** Settings the schema's functions read for this transaction only. */
export interface UserTransactionSettings {
  /** The send limit the SQL enforces (`chat.send_limit`); otherwise the database's `app_settings` row (60/10 s). */
  sendLimit?: { points: number; durationSeconds: number };
  /** GROUP_MAX_MEMBERS for the SQL (`chat.group_max_members`); otherwise the database's `app_settings` row (100). */
  groupMaxMembers?: number;
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
  const claims = quoteLiteral(JSON.stringify({ sub: userId, role: "authenticated" }));
  let prelude = `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true)`;
  const { sendLimit, groupMaxMembers } = settings;
  if (sendLimit) {
    const rule = `${Math.trunc(sendLimit.points)}/${Math.trunc(sendLimit.durationSeconds)}`;
    prelude += `, set_config('chat.send_limit', ${quoteLiteral(rule)}, true)`;
  }
  if (groupMaxMembers) prelude += `, set_config('chat.group_max_members', '${Math.trunc(groupMaxMembers)}', true)`;
  return db.transaction(fn, { prelude });
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
