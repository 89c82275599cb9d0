import { z } from "zod";
import { errorJson, json, parseInput, route, searchParams } from "@/server/http";
import { getServices } from "@/server/context";
import { isLoopbackRequest } from "@/server/peer-address";

const mailboxQuerySchema = z.strictObject({ email: z.string().trim().max(254).optional() });

const NOT_FOUND_MESSAGE = "The dev mailbox is off (production, SMTP, or a request from another machine).";

// Development only: the dev mailbox does not exist in production or with SMTP-only setups, and it
// answers this machine only (sign-in links are in it: on a shared network they are anyone's).
export const GET = route(async ({ request }) => {
  const { devMailbox } = await getServices();
  if (!devMailbox || !isLoopbackRequest(request.headers)) return errorJson(404, "not_found", NOT_FOUND_MESSAGE);
  const { email } = parseInput(mailboxQuerySchema, searchParams(request));
  return json(await devMailbox.list(email || undefined), 200, { "cache-control": "no-store" });
});
