import "server-only";
import { createServerClient } from "@supabase/ssr";
import { NextResponse, type NextRequest } from "next/server";
import { NODE_REALTIME } from "./server";

/**
 * The proxy's Supabase client factory (for proxy.ts): refreshes the Supabase session on each
 * request so Server Components see a valid one.
 * IMPORTANT: call getClaims() right after creating the client, and return the response built
 * here (it carries rotated cookies), also on redirects.
 */
export async function updateSession(request: NextRequest, config: { url: string; publishableKey: string }): Promise<NextResponse> {
  let response = NextResponse.next({ request });
  const supabase = createServerClient(config.url, config.publishableKey, {
    cookies: {
      getAll: () => request.cookies.getAll(),
      setAll(toSet, headers) {
        for (const { name, value } of toSet) request.cookies.set(name, value);
        response = NextResponse.next({ request });
        for (const { name, value, options } of toSet) response.cookies.set(name, value, options);
        for (const [key, value] of Object.entries(headers)) response.headers.set(key, value);
      },
    },
    realtime: NODE_REALTIME,
  });
  await supabase.auth.getClaims();
  return response;
}
