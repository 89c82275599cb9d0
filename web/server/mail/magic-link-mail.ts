import { escapeHtml } from "@/lib/html";
import type { MailMessage } from "./types";

export function buildMagicLinkMail(to: string, link: string): MailMessage {
  return {
    to,
    subject: "Your sign-in link",
    link,
    text: `Sign in to Chat by opening this link (valid for 1 hour, once):\n\n${link}\n\nIf you did not ask for it, ignore this mail.`,
    html: `<p>Sign in to Chat by opening this link (valid for 1 hour, once):</p><p><a href="${escapeHtml(link)}">Sign in</a></p><p>If you did not ask for it, ignore this mail.</p>`,
  };
}
