import { z } from "zod";

/** Accepts only same-site relative paths; anything else falls back to /chat. */
export function safeNextPath(value: unknown, fallback = "/chat"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) return fallback;
  // "//host" and "/\host" are protocol-relative in browsers; control characters can smuggle either.
  if (!value.startsWith("/") || value.startsWith("//") || value.includes("\\") || /[\u0000-\u001f\u007f]/.test(value)) {
    return fallback;
  }
  const base = "http://same-site.invalid";
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((value) => value.toLowerCase());

export const loginSchema = z.object({
  email: emailSchema,
  next: z
    .unknown()
    .optional()
    .transform((value) => safeNextPath(value)),
});
export type LoginInput = z.infer<typeof loginSchema>;

export const OTP_TYPES = ["magiclink", "email", "signup", "invite", "recovery", "email_change"] as const;

export const confirmSchema = z.object({
  token_hash: z.string().min(1).max(512),
  type: z.enum(OTP_TYPES),
  next: z
    .unknown()
    .optional()
    .transform((value) => safeNextPath(value)),
});
export type ConfirmInput = z.infer<typeof confirmSchema>;
