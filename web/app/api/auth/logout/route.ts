import { json, route } from "@/server/http";
import { logout } from "@/server/services/auth";

export const POST = route(async ({ services }) => {
  await logout(services);
  return json({ signedOut: true });
});
