import { createChatStore } from "./chat-store";
import type { SqlClient, UserTransactionSettings } from "./sql/client";
import { createSqlTransport } from "./sql-transport";
import type { ChatStore } from "./types";

/** The chat store on any Postgres reached by SQL: the embedded PGlite or `pg`. */
export function createSqlChatStore(db: SqlClient, settings: UserTransactionSettings = {}): ChatStore {
  return createChatStore(createSqlTransport(db, settings));
}
