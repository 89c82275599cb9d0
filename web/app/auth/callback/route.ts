import type { NextRequest } from "next/server";
import { safeNextPath } from "@/lib/validations/auth";
import { getRequestServices } from "@/server/context";
import { isDomainError } from "@/server/errors";
import { logger } from "@/server/logger";
import { clientIp, requestCookieJar } from "@/server/http";
import { invalidLinkPage, page, redirectTo } from "../auth-pages";
import { escapeHtml } from "@/lib/html";

/**
 * Supabase's PKCE flow: its default email template sends the browser here with `?code=`.
 * The code verifier is a cookie set when the link was requested, so the link only works in
 * the browser that asked for it; elsewhere the page explains that and offers a new link.
 */
export async function GET(request: NextRequest) {
  const code = request.nextUrl.searchParams.get("code");
  const next = safeNextPath(request.nextUrl.searchParams.get("next"));
  const providerError = request.nextUrl.searchParams.get("error_description");
  if (!code || code.length > 512) {
    return invalidLinkPage(providerError ?? "The sign-in link is incomplete. Ask for a new one.");
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
        `<p>${escapeHtml(error.message)}</p><p><a href="/login">Send a new sign-in link</a></p>`,
      );
    }
    if (isDomainError(error) && error.status < 500) return invalidLinkPage(error.message, error.status);
    logger.error({ err: error }, "sign-in callback failed");
    return page(503, "Sign-in is unavailable", `<p>Try again in a moment.</p><p><a href="/login">Back to sign in</a></p>`);
  }
}
