import { z } from "zod";
import { errorJson, json, parseInput, route, searchParams } from "@/server/http";
import { getServices } from "@/server/context";

const mailboxQuerySchema = z.strictObject({ email: z.string().trim().max(254).optional() });

// Development only: the dev mailbox does not exist in production or with SMTP-only setups.
export const GET = route(async ({ request }) => {
  const { devMailbox } = await getServices();
  if (!devMailbox) return errorJson(404, "not_found", "The dev mailbox is off (production or SMTP).");
  const { email } = parseInput(mailboxQuerySchema, searchParams(request));
  return json(await devMailbox.list(email || undefined), 200, { "cache-control": "no-store" });
});
