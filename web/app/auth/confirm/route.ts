import { NextResponse, type NextRequest } from "next/server";
import { confirmSchema, safeNextPath } from "@/lib/validations/auth";
import { getAuth } from "@/server/context";
import { DomainError } from "@/server/errors";
import { requestCookieJar } from "@/server/http";
import { confirmLogin } from "@/server/services/auth";

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

// Self-contained pages: they must work before (and without) any client JavaScript.
function page(status: number, title: string, body: string): NextResponse {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Chat</title>
<style>body{font:16px/1.5 system-ui,sans-serif;display:grid;place-items:center;min-height:100vh;margin:0;background:#f6f7f9;color:#111}
@media (prefers-color-scheme:dark){body{background:#111418;color:#eee}main{background:#1b1f24!important}}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 2px 12px #0002;max-width:26rem;text-align:center}
button{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:8px;background:#2563eb;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #93c5fd;outline-offset:2px}a{color:#2563eb}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
  return new NextResponse(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  });
}

const invalidLinkPage = (message: string, status = 400) =>
  page(status, "This link does not work", `<p>${escapeHtml(message)}</p><p><a href="/login">Ask for a new sign-in link</a></p>`);

/**
 * GET only shows a button: mail scanners open links, and must not use up the token.
 * The button POSTs the token back here.
 */
export function GET(request: NextRequest) {
  const params = request.nextUrl.searchParams;
  const parsed = confirmSchema.safeParse({
    token_hash: params.get("token_hash") ?? undefined,
    type: params.get("type") ?? undefined,
    next: params.get("next") ?? undefined,
  });
  if (!parsed.success) return invalidLinkPage("The sign-in link is incomplete. Copy the whole link from the mail, or ask for a new one.");
  const { token_hash, type, next } = parsed.data;
  return page(
    200,
    "Sign in to Chat",
    `<p>Press Continue to finish signing in.</p>
<form method="post" action="/auth/confirm">
<input type="hidden" name="token_hash" value="${escapeHtml(token_hash)}">
<input type="hidden" name="type" value="${escapeHtml(type)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit" autofocus>Continue</button></form>`,
  );
}

export async function POST(request: NextRequest) {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return invalidLinkPage("The sign-in form could not be read. Open the link from the mail again.");
  }
  const field = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : undefined;
  };
  const parsed = confirmSchema.safeParse({ token_hash: field("token_hash"), type: field("type"), next: field("next") });
  if (!parsed.success) return invalidLinkPage("The sign-in link is incomplete. Copy the whole link from the mail, or ask for a new one.");

  const cookies = requestCookieJar(request);
  try {
    const { next } = await confirmLogin(await getAuth(cookies), parsed.data);
    // 303: the browser follows with a GET, and the token leaves the address bar and history.
    const target = new URL(safeNextPath(next), request.nextUrl.origin);
    return cookies.applyTo(NextResponse.redirect(target, 303));
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) return invalidLinkPage(error.message, error.status);
    console.error("Sign-in confirmation failed:", error);
    return page(503, "Sign-in is unavailable", `<p>Try again in a moment.</p><p><a href="/login">Back to sign in</a></p>`);
  }
}
