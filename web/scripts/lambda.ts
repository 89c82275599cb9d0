import "server-only";
import serverless from "serverless-http";
import { routeManifest } from "@/app/route-manifest";
import { createAuthApp, createChatApp } from "@/server/express/apps";

/**
 * AWS Lambda handlers (API Gateway HTTP API v2 or REST v1 events, ALB) for the two services.
 * An entry point, above app/ and server/: it hands the route table to the mounts.
 * IMPORTANT: bundle with the `react-server` condition (esbuild `--conditions=react-server`),
 * as Next.js does for route handlers, or `server-only` throws on import.
 */
export const authHandler = serverless(createAuthApp(routeManifest));
export const chatHandler = serverless(createChatApp(routeManifest));
