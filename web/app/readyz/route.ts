import { checkReadiness } from "@/server/context";

// A load balancer or client asks again after this long.
const RETRY_AFTER_SECONDS = "5";

/** Readiness: 200 when the database (and Redis, when configured) answer; 503 with Retry-After otherwise. */
export async function GET() {
  const checks = await checkReadiness();
  const ready = Object.values(checks).every((check) => check === "ok");
  if (ready) return Response.json({ data: { ready, checks } }, { headers: { "cache-control": "no-store" } });
  return Response.json(
    { error: { code: "not_ready", message: "A dependency is unavailable.", details: checks } },
    { status: 503, headers: { "cache-control": "no-store", "retry-after": RETRY_AFTER_SECONDS } },
  );
}
