import { randomUUID } from "node:crypto";
import type { BrowserContext } from "playwright-core";
import type { AuthUser, ChatMessage, UserProfile } from "../../lib/types";
import { callApi, signInViaMailbox, type NodeHttp } from "./node-chat";

/** A user signed in over HTTP (no browser): for seeding conversations quickly. */
export interface ApiUser {
  user: AuthUser;
  http: NodeHttp;
  /** The session cookie's value (chat_session=…), to hand to a browser context. */
  cookie: string;
}

export async function signInApi(baseUrl: string, email: string, displayName?: string): Promise<ApiUser> {
  const { cookie, user } = await signInViaMailbox(baseUrl, email);
  const http: NodeHttp = { baseUrl, apiUrl: baseUrl, cookie };
  if (displayName) await patchProfile(http, displayName);
  return { user, http, cookie };
}

// callApi only knows GET and POST; PATCH by hand (with the Origin the CSRF check wants).
export async function patchProfile(http: NodeHttp, displayName: string | null): Promise<UserProfile> {
  const response = await fetch(new URL("/api/profile", http.baseUrl), {
    method: "PATCH",
    headers: { "content-type": "application/json", cookie: http.cookie, origin: http.baseUrl },
    body: JSON.stringify({ displayName }),
  });
  if (!response.ok) throw new Error(`PATCH /api/profile: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: UserProfile }).data;
}

/** Sends `content` from `from` to a user (or a user id). */
export function sendApi(from: ApiUser, to: ApiUser | string, content: string): Promise<ChatMessage> {
  return callApi<ChatMessage>(from.http, "/api/chat/send", {
    method: "POST",
    json: { recipientId: typeof to === "string" ? to : to.user.id, content, clientId: randomUUID() },
  });
}

export function markReadApi(reader: ApiUser, peer: ApiUser, seq: number): Promise<unknown> {
  return callApi(reader.http, "/api/chat/read", { method: "POST", json: { peerId: peer.user.id, seq } });
}

/** Gives a browser context this user's session, so its pages open signed in. */
export async function useSession(context: BrowserContext, user: ApiUser): Promise<void> {
  const [name, ...value] = user.cookie.split("=");
  await context.addCookies([{ name: name!, value: value.join("="), url: user.http.baseUrl }]);
}
