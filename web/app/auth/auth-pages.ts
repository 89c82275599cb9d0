import { NextResponse } from "next/server";
import { BRAND_ICON } from "@/lib/brand-icon";
import { escapeHtml } from "@/lib/html";

// Self-contained pages: they must work before (and without) any client JavaScript.
export function page(status: number, title: string, body: string, { scriptNonce }: { scriptNonce?: string } = {}): NextResponse {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><link rel="icon" href="${escapeHtml(BRAND_ICON)}"><title>${escapeHtml(title)} · Chat</title>
<style>:root{color-scheme:light dark;--bg:#f4f5f8;--card:#fff;--fg:#15171c;--primary:#4f5bd5;--on-primary:#fff;--ring:#4f5bd5}
@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a20;--fg:#e7e9ee;--primary:#7c86ff;--on-primary:#0f1115;--ring:#a3aaff}}
body{font:15px/1.5 ui-sans-serif,system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:var(--bg);color:var(--fg)}
main{background:var(--card);padding:2rem 2.5rem;border-radius:16px;box-shadow:0 12px 32px #10182820;max-width:26rem;text-align:center}
button{font:inherit;font-weight:600;padding:.6rem 1.4rem;border:0;border-radius:8px;background:var(--primary);color:var(--on-primary);cursor:pointer}
button:focus-visible,a:focus-visible{outline:2px solid var(--ring);outline-offset:2px}a{color:var(--primary)}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return new NextResponse(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // same-origin, not no-referrer: the Continue form must send its Origin (CSRF check).
      "referrer-policy": "same-origin",
      // Only the inline style, the inline icon, a form back to this site, and at most the
      // page's own nonced script (which may post that form to this site).
      "content-security-policy":
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'" +
        (scriptNonce ? `; script-src 'nonce-${scriptNonce}'; connect-src 'self'` : ""),
    },
  });
}

export const invalidLinkPage = (message: string, status = 400) =>
  page(status, "This link does not work", `<p>${escapeHtml(message)}</p><p><a href="/login">Ask for a new sign-in link</a></p>`);

/**
 * 303 to a same-site path, as a relative Location: behind proxies and on 127.0.0.1 vs
 * localhost the server cannot know the origin the browser used, and the browser does.
 */
export function redirectTo(path: string): NextResponse {
  return new NextResponse(null, { status: 303, headers: { location: path, "cache-control": "no-store" } });
}
