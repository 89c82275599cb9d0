import { NextResponse, type NextRequest } from "next/server";
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
