import { checkReadiness } from "@/server/context";

/** Readiness: 200 when the database (and Redis, when configured) answer; 503 otherwise. */
export async function GET() {
  const checks = await checkReadiness();
  const ready = Object.values(checks).every((check) => check === "ok");
  return Response.json(
    ready ? { data: { ready, checks } } : { error: { code: "not_ready", message: "A dependency is unavailable.", details: checks } },
    { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
