import { randomBytes } from "node:crypto";
import type { NextRequest } from "next/server";
import { confirmSchema, safeNextPath } from "@/lib/validations/auth";
import { getRequestServices } from "@/server/context";
import { isDomainError } from "@/server/errors";
import { logger } from "@/server/logger";
import { assertSameOrigin, clientIp, readBody, requestCookieJar } from "@/server/http";
import { confirmLogin } from "@/server/services/auth";
import { invalidLinkPage, page, redirectTo } from "../auth-pages";
import { escapeHtml } from "@/lib/html";

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
  // /auth/* is outside proxy.ts (no page-wide nonce): this page makes its own.
  const nonce = randomBytes(16).toString("base64");
  return page(
    200,
    "Sign in to Chat",
    `<p>Press Continue to finish signing in.</p>
<form method="post" action="/auth/confirm" id="confirm">
<input type="hidden" name="token_hash" value="${escapeHtml(token_hash)}">
<input type="hidden" name="type" value="${escapeHtml(type)}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit" autofocus>Continue</button></form><script nonce="${nonce}">${REPLACE_AFTER_SIGN_IN}</script>`,
    { scriptNonce: nonce },
  );
}

/**
 * With JavaScript, the form is posted with fetch and the chat then *replaces* this page in the
 * history, so Back never returns to a used link. Without it (or if fetch fails) the plain
 * form post still works. An error answer is shown as the page the form would have shown.
 */
const REPLACE_AFTER_SIGN_IN = `(() => {
  const form = document.getElementById("confirm");
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    let response;
    try {
      response = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" });
    } catch {
      return form.submit();
    }
    if (response.redirected && new URL(response.url).origin === location.origin) return location.replace(response.url);
    const html = await response.text();
    document.open();
    document.write(html);
    document.close();
  });
})();`;

export async function POST(request: NextRequest) {
  try {
    assertSameOrigin(request);
  } catch (error) {
    return invalidLinkPage((error as Error).message, 403);
  }
  let form: URLSearchParams;
  try {
    form = await readConfirmForm(request);
  } catch (error) {
    if (isDomainError(error) && error.status === 413) return invalidLinkPage(error.message, 413);
    return invalidLinkPage("The sign-in form could not be read. Open the link from the mail again.");
  }
  const field = (name: string) => form.get(name) ?? undefined;
  const parsed = confirmSchema.safeParse({ token_hash: field("token_hash"), type: field("type"), next: field("next") });
  if (!parsed.success) return invalidLinkPage("The sign-in link is incomplete. Copy the whole link from the mail, or ask for a new one.");

  const cookies = requestCookieJar(request);
  try {
    const { auth } = await getRequestServices(cookies, { ip: clientIp(request) });
    const { next } = await confirmLogin(auth, parsed.data);
    // 303: the browser follows with a GET, and the token leaves the address bar and history.
    return cookies.applyTo(redirectTo(safeNextPath(next)));
  } catch (error) {
    if (isDomainError(error) && error.status < 500) return invalidLinkPage(error.message, error.status);
    logger.error({ err: error }, "sign-in confirmation failed");
    return page(503, "Sign-in is unavailable", `<p>Try again in a moment.</p><p><a href="/login">Back to sign in</a></p>`);
  }
}

// The form holds a 43-character token, a type and a same-site path: 8 KiB is plenty.
const MAX_FORM_BYTES = 8 * 1024;

/** The urlencoded Continue form, counted while it streams (413 past the limit). */
async function readConfirmForm(request: Request): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get("content-type") ?? "")) throw new Error("not a form");
  const body = await readBody(request, MAX_FORM_BYTES);
  return new URLSearchParams(new TextDecoder("utf-8", { fatal: true }).decode(body));
}
