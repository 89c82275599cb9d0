import "server-only";
import express, { type ErrorRequestHandler, type Express } from "express";
import * as login from "@/app/api/auth/login/route";
import * as logout from "@/app/api/auth/logout/route";
import * as session from "@/app/api/auth/session/route";
import * as conversations from "@/app/api/chat/conversations/route";
import * as history from "@/app/api/chat/history/route";
import * as send from "@/app/api/chat/send/route";
import * as mailbox from "@/app/api/dev/mailbox/route";
import * as users from "@/app/api/users/route";
import * as callback from "@/app/auth/callback/route";
import * as confirm from "@/app/auth/confirm/route";
import * as healthz from "@/app/healthz/route";
import * as readyz from "@/app/readyz/route";
import { errorJson, toErrorResponse } from "@/server/http";
import { mountRoute, sendFetchResponse, type RouteHandler } from "./adapter";

/**
 * The auth and chat services as standalone Express apps (the original design: auth on
 * 5001, chat on 5002). Each path runs the Next.js route module's own handlers through the
 * fetch adapter, so both mounts share one code path. `standalone.ts` listens; `lambda.ts`
 * wraps them for serverless-http.
 */

type RouteModule = Partial<Record<"GET" | "POST", RouteHandler>>;

/** Sign-in: magic link, confirmation, session token, sign-out. */
export function createAuthApp(): Express {
  return createServiceApp({
    "/api/auth/login": login,
    "/api/auth/logout": logout,
    "/api/auth/session": session,
    "/auth/confirm": confirm,
    "/auth/callback": callback,
    // Answers 404 by itself in production and with SMTP: the same gate as in Next.js.
    "/api/dev/mailbox": mailbox,
  });
}

/** Messages, history, conversations and the user search. */
export function createChatApp(): Express {
  return createServiceApp({
    "/api/chat/send": send,
    "/api/chat/history": history,
    "/api/chat/conversations": conversations,
    "/api/users": users,
  });
}

function createServiceApp(routes: Record<string, RouteModule>): Express {
  const app = express();
  app.disable("x-powered-by");
  // Exact paths: /API/users or /api/users/ is a 404 here (Next.js 404s the one, redirects the other).
  app.set("strict routing", true);
  app.set("case sensitive routing", true);
  // IMPORTANT: no body parsers. The handlers read the raw body (content type, size, JSON).
  const all: Record<string, RouteModule> = { ...routes, "/healthz": healthz, "/readyz": readyz };
  for (const [path, module] of Object.entries(all)) {
    const allowed = (["GET", "POST"] as const).filter((method) => module[method]);
    if (module.GET) app.get(path, mountRoute(module.GET));
    if (module.POST) app.post(path, mountRoute(module.POST));
    app.all(path, (req, res) =>
      sendFetchResponse(
        res,
        errorJson(405, "method_not_allowed", `${req.method} is not allowed here.`, undefined, { allow: allowed.join(", ") }),
      ),
    );
  }
  app.use((req, res) => sendFetchResponse(res, errorJson(404, "not_found", `No route for ${req.method} ${req.path}.`)));
  app.use(handleError);
  return app;
}

/** Same shape as the route handlers' errors: domain errors as they are, the rest a logged 500. */
const handleError: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  return sendFetchResponse(res, toErrorResponse(error));
};
