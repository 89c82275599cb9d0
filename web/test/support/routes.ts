import { NextRequest } from "next/server";
import * as login from "@/app/api/auth/login/route";
import * as logout from "@/app/api/auth/logout/route";
import * as session from "@/app/api/auth/session/route";
import * as send from "@/app/api/chat/send/route";
import * as history from "@/app/api/chat/history/route";
import * as conversations from "@/app/api/chat/conversations/route";
import * as conversation from "@/app/api/chat/conversations/[id]/route";
import * as conversationMembers from "@/app/api/chat/conversations/[id]/members/route";
import * as conversationMember from "@/app/api/chat/conversations/[id]/members/[userId]/route";
import * as users from "@/app/api/users/route";
import * as read from "@/app/api/chat/read/route";
import * as profile from "@/app/api/profile/route";
import * as mailbox from "@/app/api/dev/mailbox/route";
import * as confirm from "@/app/auth/confirm/route";
import * as callback from "@/app/auth/callback/route";
import * as cronPushOutbox from "@/app/api/cron/push-outbox/route";
import * as attachments from "@/app/api/chat/attachments/route";
import * as attachment from "@/app/api/chat/attachments/[id]/route";
import * as attachmentContent from "@/app/api/chat/attachments/[id]/content/route";
import * as attachmentComplete from "@/app/api/chat/attachments/[id]/complete/route";
import * as cronAttachments from "@/app/api/cron/attachments/route";
import * as changes from "@/app/api/chat/changes/route";
import * as chatMessage from "@/app/api/chat/messages/[id]/route";
import * as reaction from "@/app/api/chat/messages/[id]/reactions/[emoji]/route";
import { PEER_HEADER, setPeerAddress } from "@/server/peer-address";

type Handler = (request: NextRequest, segments: { params: Promise<Record<string, string>> }) => Response | Promise<Response>;

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

const routes: Record<string, Partial<Record<Method, Handler>>> = {
  "/api/auth/login": login,
  "/api/auth/logout": logout,
  "/api/auth/session": session,
  "/api/chat/send": send,
  "/api/chat/history": history,
  "/api/chat/conversations": conversations,
  "/api/users": users,
  "/api/chat/read": read,
  "/api/profile": profile,
  "/api/dev/mailbox": mailbox,
  "/auth/confirm": confirm,
  "/auth/callback": callback,
  "/api/cron/push-outbox": cronPushOutbox,
  "/api/chat/attachments": attachments,
  "/api/cron/attachments": cronAttachments,
  "/api/chat/changes": changes,
};

// Routes with dynamic segments, as Next.js matches them: `:name` is one segment.
const dynamicRoutes: [pattern: string, module: Partial<Record<Method, Handler>>][] = [
  ["/api/chat/conversations/:id", conversation as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/conversations/:id/members", conversationMembers as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/conversations/:id/members/:userId", conversationMember as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/messages/:id", chatMessage as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/messages/:id/reactions/:emoji", reaction as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/attachments/:id", attachment as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/attachments/:id/content", attachmentContent as unknown as Partial<Record<Method, Handler>>],
  ["/api/chat/attachments/:id/complete", attachmentComplete as unknown as Partial<Record<Method, Handler>>],
];

function findRoute(pathname: string): { module?: Partial<Record<Method, Handler>>; params: Record<string, string> } {
  if (routes[pathname]) return { module: routes[pathname], params: {} };
  const parts = pathname.split("/");
  for (const [pattern, module] of dynamicRoutes) {
    const names = pattern.split("/");
    if (names.length !== parts.length) continue;
    const params: Record<string, string> = {};
    if (
      names.every((name, i) => (name.startsWith(":") ? ((params[name.slice(1)] = decodeURIComponent(parts[i]!)), true) : name === parts[i]))
    )
      return { module, params };
  }
  return { params: {} };
}

export const ORIGIN = "http://localhost:3000";

export interface CallOptions {
  json?: unknown;
  body?: string | Uint8Array;
  form?: Record<string, string>;
  cookie?: string;
  headers?: Record<string, string>;
  /** The TCP peer's address (default 127.0.0.1). */
  peer?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** Calls a route handler module the way Next.js would, with a real Request. */
export async function call(method: Method, path: string, options: CallOptions = {}): Promise<CallResult> {
  const url = new URL(path, ORIGIN);
  const { module, params } = findRoute(url.pathname);
  const handler = module?.[method];
  if (!handler) throw new Error(`no ${method} handler for ${url.pathname}`);
  const headers = new Headers(options.headers);
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  if (options.form) {
    body = new URLSearchParams(options.form).toString();
    headers.set("content-type", "application/x-www-form-urlencoded");
  }
  if (options.cookie) headers.set("cookie", options.cookie);
  // What `next start` stamps for a client on this machine (see server/peer-address.ts); a test
  // that plays a remote client passes its own `x-chat-peer-address` (any value: not stamped).
  if (!headers.has(PEER_HEADER)) setPeerAddress(headers, options.peer ?? "127.0.0.1");
  const response = await handler(new NextRequest(url, { method, headers, body: body as BodyInit | undefined }), {
    params: Promise.resolve(params),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(text);
  } catch {
    // HTML pages and redirects have no JSON body.
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** Signs in through the real magic-link flow (login → dev mailbox → confirm) and returns the cookie. */
export async function signIn(email: string): Promise<{ cookie: string; userId: string }> {
  const sent = await call("POST", "/api/auth/login", { json: { email, next: "/chat" } });
  if (sent.status !== 200) throw new Error(`login failed: ${sent.status} ${sent.text}`);
  const mail = await call("GET", `/api/dev/mailbox?email=${encodeURIComponent(email)}`);
  const link = new URL(mail.body.data[0].link);
  const confirmed = await call("POST", "/auth/confirm", {
    form: {
      token_hash: link.searchParams.get("token_hash")!,
      type: link.searchParams.get("type")!,
      next: link.searchParams.get("next")!,
    },
  });
  if (confirmed.status !== 303) throw new Error(`confirm failed: ${confirmed.status} ${confirmed.text}`);
  const cookie = confirmed.headers.get("set-cookie")!.split(";")[0]!;
  const me = await call("GET", "/api/auth/session", { cookie });
  return { cookie, userId: me.body.data.user.id };
}

/** A browser's cookie jar: keeps every Set-Cookie (Supabase splits sessions into chunks). */
export class Browser {
  cookies = new Map<string, string>();
  /** The Cookie header this browser sends ("" without cookies). */
  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
  async call(method: Method, path: string, options: CallOptions = {}) {
    const result = await call(method, path, { ...options, cookie: this.cookieHeader() || undefined });
    for (const header of result.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(";");
      const [name, ...value] = pair!.split("=");
      const expired = attributes.some((a) => /max-age=0\b/i.test(a.trim()));
      if (expired || value.join("=") === "") this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value.join("="));
    }
    return result;
  }
}
