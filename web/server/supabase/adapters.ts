import "server-only";
import { createClient } from "@supabase/supabase-js";
import { NODE_REALTIME } from "./server";

/**
 * Everything Supabase mode builds at run time, in one module that the composition root
 * (server/context.ts) imports only when Supabase is configured: supabase-js, @supabase/ssr and
 * ws are ~1.3 MB of source that every route bundle would otherwise load and keep in memory.
 */
export { createServerClient } from "./server";
export { createSupabaseAuth } from "./supabase-auth";
export { createSupabaseChatStore } from "./supabase-chat-store";

/** The service-role client for the sweeps, which need every user's rows (see README). Never per request. */
export function createServiceClient(url: string, serviceRoleKey: string) {
  return createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: NODE_REALTIME,
  });
}
