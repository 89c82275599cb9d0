import "server-only";
import { createServerClient as createSsrServerClient } from "@supabase/ssr";
import ws from "ws";
import type { CookieJar } from "@/server/auth/types";
import type { Database } from "@/lib/database.types";

/**
 * Every server-side client's realtime option: Node 20 has no global WebSocket, and supabase-js
 * builds realtime eagerly (unused here).
 */
export const NODE_REALTIME = { transport: ws as never };

interface SupabaseConfig {
  url: string;
  publishableKey: string;
}

/**
 * The server's Supabase client factory (the proxy has its own in proxy.ts; there is no browser
 * one: the page talks to this app's API only). A client for one server request (route handler
 * or Server Component), reading and writing the auth cookies through `cookies`. IMPORTANT: create one per request, never share.
 */
export function createServerClient(config: SupabaseConfig, cookies: CookieJar, { ip }: { ip?: string } = {}) {
  return createSsrServerClient<Database>(config.url, config.publishableKey, {
    cookies: {
      getAll: () => cookies.getAll(),
      setAll: (toSet) => {
        for (const { name, value, options } of toSet) cookies.set(name, value, options);
      },
    },
    // Supabase counts its auth rate limits per client IP: pass the user's, not the server's.
    global: ip ? { headers: { "sb-forwarded-for": ip } } : undefined,
    realtime: NODE_REALTIME,
  });
}
