import { json, route } from "@/server/http";
import { getSession } from "@/server/services/auth";

export const GET = route(async ({ auth }) => json(await getSession(auth), 200, { "cache-control": "no-store" }));
