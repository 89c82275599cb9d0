import { NextRequest, NextResponse } from "next/server";

/**
 * Two jobs, nothing else: a per-request CSP nonce (Next.js puts it on its own scripts), and,
 * in Supabase mode, refreshing the session cookies. The embedded mode's session is an
 * opaque cookie checked by each route, so there is nothing to refresh.
 */
export async function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const forwarded = new NextRequest(request, { headers });

  const url = process.env.NEXT_PUBLIC_SUPABASE_URL;
  const publishableKey = process.env.NEXT_PUBLIC_SUPABASE_PUBLISHABLE_KEY ?? process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY;
  // Imported only in Supabase mode: the other modes never load @supabase/ssr.
  const response =
    url && publishableKey
      ? await (await import("@/server/supabase/proxy")).updateSession(forwarded, { url, publishableKey })
      : NextResponse.next({ request: forwarded });
  response.headers.set("content-security-policy", csp);
  return response;
}

/** Scripts only with this request's nonce (no 'unsafe-inline' scripts); sockets only to our socket server. */
function contentSecurityPolicy(nonce: string): string {
  const socket = new URL(process.env.SOCKET_PUBLIC_URL || "http://localhost:5003");
  const socketWs = `${socket.protocol === "https:" ? "wss:" : "ws:"}//${socket.host}`;
  const isDev = process.env.NODE_ENV === "development";
  // Supabase mode: attachments upload to signed Storage URLs and open through redirects to them.
  const storage = process.env.NEXT_PUBLIC_SUPABASE_URL ? ` ${new URL(process.env.NEXT_PUBLIC_SUPABASE_URL).origin}` : "";
  return [
    "default-src 'self'",
    // React needs eval in development only (error overlays and stack reconstruction).
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${isDev ? " 'unsafe-eval'" : ""}`,
    // Inline style attributes are React's; styles cannot run code.
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${storage}`,
    "font-src 'self'",
    `connect-src 'self' ${socket.origin} ${socketWs}${isDev ? " ws:" : ""}${storage}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const config = {
  matcher: [
    {
      // Pages only: not the API (JSON needs no CSP, and its route handlers refresh a Supabase
      // session themselves), not /auth/* (self-contained pages with their own strict CSP, whose
      // routes set the session themselves), static files, images, or link prefetches.
      // IMPORTANT: Next.js buffers the body of every request the proxy sees (proxyClientMaxBodySize
      // in next.config.ts): keep routes that read a body out of this matcher.
      source: "/((?!api/|auth/|_next/static|_next/image|favicon.ico|.*\\.(?:svg|png|jpg|jpeg|gif|webp|ico)$).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
