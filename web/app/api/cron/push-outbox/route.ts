import { getServices } from "@/server/context";
import { isCronRequest } from "@/server/cron-auth";
import { errorJson, json, toErrorResponse } from "@/server/http";
import { sweepPushOutbox } from "@/server/realtime/outbox";

// Never cached or prerendered: each call sends what the outbox holds.
export const dynamic = "force-dynamic";

/**
 * The outbox sweep for serverless hosts (Vercel Cron calls it every minute with
 * `Authorization: Bearer $CRON_SECRET`). Long-lived processes also sweep by themselves.
 */
export async function GET(request: Request) {
  try {
    const { env, sweeper } = await getServices();
    if (!isCronRequest(request, env.push.cronSecret)) {
      return errorJson(401, "unauthorized", "The sweep needs the cron secret.");
    }
    return json(await sweepPushOutbox(sweeper));
  } catch (error) {
    return toErrorResponse(error);
  }
}
