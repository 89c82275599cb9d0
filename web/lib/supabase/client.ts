import { createBrowserClient } from "@supabase/ssr";

/**
 * A Supabase client for the browser (Supabase mode only). The chat goes through this app's API,
 * so the page does not need it today; it is here for features that talk to Supabase directly.
 */
export function createClient(config: { url: string; publishableKey: string }) {
  return createBrowserClient(config.url, config.publishableKey);
}
