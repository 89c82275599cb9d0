import type { SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "@/lib/database.types";
import { createChatStore } from "@/server/store/chat-store";
import type { ChatStore } from "@/server/store/types";
import { createPostgrestTransport } from "./postgrest-transport";

/** The chat store on Supabase: the schema's functions through PostgREST, as the signed-in user. */
export function createSupabaseChatStore(supabase: SupabaseClient<Database>): ChatStore {
  return createChatStore(createPostgrestTransport(supabase));
}
