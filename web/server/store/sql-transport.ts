import { queryAsUser, sqlLiteral, type SqlClient, type UserTransactionSettings } from "./sql/client";
import { toDomainError } from "./sql/errors";
import type { FunctionName, FunctionRow, RpcTransport } from "./rpc";

/**
 * The schema's functions over SQL (the embedded PGlite or any Postgres through `pg`), called
 * with named arguments exactly as PostgREST calls them, as the signed-in user (role
 * `authenticated` and the JWT claims: row level security applies), in one database round trip
 * (the arguments travel as SQL literals, which is why the call is one script). `settings.sendLimit` passes
 * the app's RATE_LIMIT_SEND to the send limit the SQL enforces.
 */
export function createSqlTransport(db: SqlClient, settings: UserTransactionSettings = {}): RpcTransport {
  return {
    async call<F extends FunctionName>(userId: string, fn: F, args: object) {
      const entries = Object.entries(args).filter(([, value]) => value !== undefined);
      // Names come from the generated types, never from input; the check is a second guard.
      if (!/^[a-z_]+$/.test(fn) || entries.some(([name]) => !/^p_[a-z_]+$/.test(name)))
        throw new Error(`Not a schema function call: ${fn}`);
      try {
        // One round trip per call: the claims and the call go as one script (see queryAsUser).
        const sql = `select * from public.${fn}(${entries.map(([name, value]) => `${name} => ${sqlLiteral(value)}`).join(", ")})`;
        return await queryAsUser<FunctionRow<F>>(db, userId, sql, settings);
      } catch (error) {
        throw toDomainError(error) ?? error;
      }
    },
  };
}
