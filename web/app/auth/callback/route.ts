import type { NextRequest } from "next/server";
import { safeNextPath } from "@/lib/validations/auth";
import { getRequestServices } from "@/server/context";
import { isDomainError } from "@/server/errors";
import { logger } from "@/server/logger";
import { clientIp, requestCookieJar } from "@/server/http";
import { invalidLinkPage, page, redirectTo } from "../auth-pages";

/**
 * Supabase's PKCE flow: its default email template sends the browser here with `?code=`.
 * The code verifier is a cookie set when the link was requested, so the link only works in
 * the browser that asked for it; elsewhere the page explains that and offers a new link.
 */
export async function GET(request: NextRequest) {
  const code = request.nextUrl.searchParams.get("code");
  const next = safeNextPath(request.nextUrl.searchParams.get("next"));
  // IMPORTANT: never show the query's `error_description`: anyone can craft a link that would
  // put their text on our page. The provider's error only picks one of our fixed messages.
  if (!code || code.length > 512) {
    const providerError = request.nextUrl.searchParams.get("error_code") ?? request.nextUrl.searchParams.get("error");
    return invalidLinkPage(providerError ? CALLBACK_MESSAGES.invalid : CALLBACK_MESSAGES.incomplete);
  }
  const cookies = requestCookieJar(request);
  try {
    const { auth } = await getRequestServices(cookies, { ip: clientIp(request) });
    await auth.exchangeCode(code);
    return cookies.applyTo(redirectTo(next));
  } catch (error) {
    if (isDomainError(error) && error.code === "pkce_verifier_missing") {
      return page(
        400,
        "Open the link in the same browser",
        `<p>${CALLBACK_MESSAGES.otherBrowser}</p><p><a href="/login">Send a new sign-in link</a></p>`,
      );
    }
    if (isDomainError(error) && error.status === 429) return invalidLinkPage(CALLBACK_MESSAGES.rateLimited, 429);
    if (isDomainError(error) && error.status < 500) return invalidLinkPage(CALLBACK_MESSAGES.invalid, error.status);
    logger.error({ err: error }, "sign-in callback failed");
    return page(503, "Sign-in is unavailable", `<p>Try again in a moment.</p><p><a href="/login">Back to sign in</a></p>`);
  }
}

/** Every text this page can show: fixed, so a crafted link cannot put words on our page. */
const CALLBACK_MESSAGES = {
  incomplete: "The sign-in link is incomplete. Ask for a new one.",
  invalid: "This sign-in link has expired or has already been used. Ask for a new one.",
  otherBrowser: "This sign-in link was opened in a different browser than the one that asked for it. Ask for a new link here.",
  rateLimited: "Too many sign-in attempts. Wait a minute and try again.",
} as const;
