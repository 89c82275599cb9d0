import type { Database } from "@/lib/database.types";

// The schema's functions, typed from the generated `Database` (npm run gen:types): the one list
// of names, arguments and result rows that both transports and the chat store share.

type Functions = Database["public"]["Functions"];
export type FunctionName = keyof Functions;
export type FunctionArgs<F extends FunctionName> = Functions[F]["Args"];

/**
 * A result row as a driver delivers it: `pg` returns int8 as a string and timestamps as Date,
 * PGlite int8 as a number, PostgREST everything as JSON. The mappers in rows.ts normalise.
 */
export type Delivered<Row> = {
  [K in keyof Row]: K extends `${string}_at` ? Row[K] | Date : Row[K] extends number ? number | string : Row[K];
};
export type FunctionRow<F extends FunctionName> = Delivered<Functions[F]["Returns"] extends (infer Row)[] ? Row : never>;

/**
 * How the chat store reaches the schema's functions, always as the signed-in user: SQL through
 * PGlite or `pg` (sql-transport.ts), or PostgREST with the user's JWT (Supabase). A failure is
 * thrown as a domain error when the SQL raised one on purpose (PT4xx), else as an error whose
 * `code` is the SQLSTATE.
 */
export interface RpcTransport {
  call<F extends FunctionName>(userId: string, fn: F, args: FunctionArgs<F>): Promise<FunctionRow<F>[]>;
}
