import "server-only";
import express, { type ErrorRequestHandler, type Express } from "express";
import { errorJson, toErrorResponse } from "@/server/http";
import { mountRoute, sendFetchResponse } from "./adapter";
import { compareRoutePaths, HTTP_METHODS, toExpressPath, type HttpMethod, type RouteTable } from "./route-table";

/**
 * The auth and chat services as standalone Express apps (the original design: auth on
 * 5001, chat on 5002). Each path runs the Next.js route module's own handlers through the
 * fetch adapter, so both mounts share one code path. The routes come from the table generated
 * from app/**\/route.ts (app/route-manifest.ts), passed in by the entry points: server/ never
 * imports app/. `scripts/start-services.ts` listens; `scripts/lambda.ts` wraps them for serverless-http.
 */

export type Service = "auth" | "chat";

/**
 * Which service answers a path: sign-in (and the dev mailbox that completes it) on auth, the
 * probes and metrics on both, everything else on chat. A new route is thus always served.
 */
export function servicesOf(path: string): Service[] {
  if (path === "/healthz" || path === "/readyz" || path === "/api/metrics") return ["auth", "chat"];
  if (/^\/(api\/auth|auth|api\/dev)(\/|$)/.test(path)) return ["auth"];
  return ["chat"];
}

/** Sign-in: magic link, confirmation, session token, sign-out. */
export function createAuthApp(routes: RouteTable): Express {
  return createServiceApp(routes.filter((route) => servicesOf(route.path).includes("auth")));
}

/** Messages, conversations, history, read positions, profile, the user search, the outbox sweep. */
export function createChatApp(routes: RouteTable): Express {
  return createServiceApp(routes.filter((route) => servicesOf(route.path).includes("chat")));
}

function createServiceApp(routes: RouteTable): Express {
  const app = express();
  app.disable("x-powered-by");
  // Exact paths: /API/users or /api/users/ is a 404 here (Next.js 404s the one, redirects the other).
  app.set("strict routing", true);
  app.set("case sensitive routing", true);
  // IMPORTANT: no body parsers. The handlers read the raw body (content type, size, JSON).
  for (const { path, module } of [...routes].sort((a, b) => compareRoutePaths(a.path, b.path))) {
    // Every method the module exports (the table's `methods` list says the same; a test checks).
    const exported = HTTP_METHODS.filter((method) => module[method]);
    const allow = exported.join(", ");
    const route = app.route(toExpressPath(path));
    for (const method of exported) route[method.toLowerCase() as Lowercase<HttpMethod>](mountRoute(module[method]!));
    // As Next.js does: OPTIONS answers with the allowed methods unless the module handles it.
    if (!module.OPTIONS) route.options((_req, res) => sendFetchResponse(res, new Response(null, { status: 204, headers: { allow } })));
    route.all((req, res) =>
      sendFetchResponse(res, errorJson(405, "method_not_allowed", `${req.method} is not allowed here.`, undefined, { allow })),
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
