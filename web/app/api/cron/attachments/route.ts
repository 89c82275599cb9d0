import { getServices } from "@/server/context";
import { isCronRequest } from "@/server/cron-auth";
import { errorJson, json, toErrorResponse } from "@/server/http";

// Never cached or prerendered: each call sweeps.
export const dynamic = "force-dynamic";

/**
 * The attachments' cleanup for serverless hosts (Vercel Cron, `Authorization: Bearer $CRON_SECRET`):
 * uploads no message took within 24 h, and deleted messages' files. Long-lived processes also
 * sweep by themselves every 10 minutes.
 */
export async function GET(request: Request) {
  try {
    const { env, attachmentSweeper } = await getServices();
    if (!isCronRequest(request, env.push.cronSecret)) {
      return errorJson(401, "unauthorized", "The sweep needs the cron secret.");
    }
    if (!attachmentSweeper)
      return json({ swept: false, reason: "no privileged path in this mode (Supabase: set SUPABASE_SERVICE_ROLE_KEY)" });
    return json({ swept: true, ...(await attachmentSweeper.sweep()) });
  } catch (error) {
    return toErrorResponse(error);
  }
}
