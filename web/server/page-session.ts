import "server-only";
import { cookies } from "next/headers";
import type { ClientConfig } from "@/lib/chat/browser";
import type { AuthUser } from "@/lib/types";
import { getEnv } from "@/server/env";
import { getRequestServices } from "@/server/context";

/** The signed-in user for a Server Component (reads the request cookies), or null. */
export async function getPageUser(): Promise<AuthUser | null> {
  const store = await cookies();
  const { auth } = await getRequestServices({
    get: (name) => store.get(name)?.value,
    getAll: () => store.getAll().map(({ name, value }) => ({ name, value })),
    // Server Components cannot set cookies; nothing here needs to.
    set: () => {},
  });
  return auth.getUser();
}

/** Settings the browser needs, read from the server env at request time. */
export function getClientConfig(): ClientConfig {
  const env = getEnv();
  return { socketUrl: env.socketPublicUrl, attachmentMaxBytes: env.attachments.maxBytes };
}
