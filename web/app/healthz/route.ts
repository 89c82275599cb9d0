// Liveness: the process answers. Readiness (dependencies) is /readyz.
export function GET() {
  return Response.json({ data: { ok: true } }, { headers: { "cache-control": "no-store" } });
}
