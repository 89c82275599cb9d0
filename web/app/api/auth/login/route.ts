import { clientIp, json, parseInput, readJson, route } from "@/server/http";
import { loginSchema } from "@/lib/validations/auth";
import { requestLogin } from "@/server/services/auth";

export const POST = route(async ({ request, services }) => {
  const input = parseInput(loginSchema, await readJson(request), { status: 400, code: "invalid_email" });
  return json(await requestLogin(services, { ...input, ip: clientIp(request) }));
});
