import { getServices } from "@/server/context";
import { json, route } from "@/server/http";
import { getSession } from "@/server/services/auth";
import { peersTicketKey } from "@/server/services/auth/peers-ticket";

export const GET = route(async ({ services }) => {
  // The socket server verifies the ticket with a key derived from the same webhook secret the pushes are signed with.
  const { env } = await getServices();
  const session = await getSession(services, { peersTicketKey: peersTicketKey(env.webhookSecrets[0]!) });
  return json(session, 200, { "cache-control": "no-store" });
});
