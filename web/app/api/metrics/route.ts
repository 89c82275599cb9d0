import { timingSafeEqual } from "node:crypto";
import { getEnv } from "@/server/env";
import { metrics } from "@/server/metrics";

/** Prometheus scrape endpoint. With METRICS_TOKEN set (always in production), it needs `Authorization: Bearer <token>`. */
export async function GET(request: Request) {
  const token = getEnv().metricsToken;
  if (token) {
    const given = Buffer.from(request.headers.get("authorization") ?? "");
    const expected = Buffer.from(`Bearer ${token}`);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return Response.json({ error: { code: "unauthorized", message: "Metrics need the bearer token." } }, { status: 401 });
    }
  }
  return new Response(await metrics.registry.metrics(), {
    headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
  });
}
