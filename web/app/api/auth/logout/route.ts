import { json, route } from "@/server/http";
import { logout } from "@/server/services/auth";

export const POST = route(async ({ auth }) => {
  await logout(auth);
  return json({ signedOut: true });
});
