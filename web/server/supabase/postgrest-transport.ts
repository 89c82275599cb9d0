import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "@/lib/database.types";
import type { FunctionName, FunctionRow, RpcTransport } from "@/server/store/rpc";
import { toDomainError } from "@/server/store/sql/errors";
import { mapPostgrestError } from "./errors";

/**
 * The schema's functions through PostgREST (`/rest/v1/rpc/…`), with the signed-in user's JWT
 * that the client carries: row level security applies exactly as over SQL.
 */
export function createPostgrestTransport(supabase: SupabaseClient<Database>): RpcTransport {
  return {
    async call<F extends FunctionName>(_userId: string, fn: F, args: object) {
      // IMPORTANT: supabase-js types `rpc` per function; the generic `F` is checked by RpcTransport.
      const { data, error, status } = await supabase.rpc(fn, args as never);
      // The schema's deliberate errors (PT4xx: validation, conflicts, limits) first, as over SQL.
      if (error) throw toDomainError(error) ?? mapPostgrestError(error, status);
      return (data ?? []) as unknown as FunctionRow<F>[];
    },
  };
}
