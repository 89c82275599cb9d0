import "server-only";
import type { NextRequest } from "next/server";

/**
 * The shape of the route table the Express mounts serve. The table itself is app/route-manifest.ts,
 * generated from the app/**\/route.ts files (`npm run gen:routes -w web`). IMPORTANT: the arrow runs
 * app → server: server/ never imports app/, so the mounts take the table as an argument from their
 * entry points (scripts/start-services.ts, scripts/lambda.ts), which sit above both.
 */

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** What Next.js hands a route handler besides the request: its path's dynamic segments. */
export interface RouteHandlerContext {
  params: Promise<Record<string, string | string[]>>;
}

/**
 * A handler exported from an app/**\/route.ts module. Method syntax on purpose: a handler that
 * names its own params (`{ params: Promise<{ id: string }> }`) is accepted (bivariant parameters).
 */
type Handler = {
  handle(request: NextRequest, context: RouteHandlerContext): Response | Promise<Response>;
}["handle"];
export type RouteHandler = Handler;

export interface RouteEntry {
  /** The URL as Next.js serves it, dynamic segments as in the folders: `/api/chat/conversations/[id]`. */
  path: string;
  /** The route.ts file, relative to web/. */
  file: string;
  /** Every HTTP method the module exports. */
  methods: readonly HttpMethod[];
  module: Partial<Record<HttpMethod, RouteHandler>>;
}

export type RouteTable = readonly RouteEntry[];

/** One manifest entry; the compiler checks that the module exports each listed method. */
export function defineRoute<M extends HttpMethod>(entry: {
  path: string;
  file: string;
  methods: readonly M[];
  module: NoInfer<Record<M, RouteHandler>>;
}): RouteEntry {
  return entry;
}

/**
 * A Next.js path in Express 5's syntax (path-to-regexp 8): `[id]` → `:id`, `[...rest]` → `*rest`
 * (an array of segments, as Next.js gives), `[[...rest]]` → `{/*rest}` (optional).
 */
export function toExpressPath(path: string): string {
  const segments = path.split("/").filter(Boolean);
  if (segments.length === 0) return "/";
  return segments
    .map((segment) => {
      const optional = /^\[\[\.\.\.(.+)\]\]$/.exec(segment);
      if (optional) return `{/*${paramName(optional[1]!)}}`;
      const catchAll = /^\[\.\.\.(.+)\]$/.exec(segment);
      if (catchAll) return `/*${paramName(catchAll[1]!)}`;
      const dynamic = /^\[(.+)\]$/.exec(segment);
      if (dynamic) return `/:${paramName(dynamic[1]!)}`;
      // Characters path-to-regexp would read as syntax are literal in a folder name.
      return `/${segment.replace(/[{}()[\]+?!:*\\]/g, "\\$&")}`;
    })
    .join("");
}

const paramName = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

/**
 * Orders paths as Next.js matches them, most specific first: per segment a static name before
 * `[id]`, before `[...rest]`, before `[[...rest]]`. IMPORTANT: Express takes the first route that
 * matches, so the mounts register in this order (`/x/new` must not be taken by `/x/[id]`).
 */
export function compareRoutePaths(a: string, b: string): number {
  const rank = (segment: string) => (segment.startsWith("[[...") ? 3 : segment.startsWith("[...") ? 2 : segment.startsWith("[") ? 1 : 0);
  const left = a.split("/").filter(Boolean);
  const right = b.split("/").filter(Boolean);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const order = rank(left[i]!) - rank(right[i]!) || (left[i]! < right[i]! ? -1 : left[i]! > right[i]! ? 1 : 0);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}
