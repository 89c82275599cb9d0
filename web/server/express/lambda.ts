import "server-only";
import serverless from "serverless-http";
import { createAuthApp, createChatApp } from "./apps";

/**
 * AWS Lambda handlers (API Gateway HTTP API v2 or REST v1 events, ALB) for the two services.
 * IMPORTANT: bundle with the `react-server` condition (esbuild `--conditions=react-server`),
 * as Next.js does for route handlers, or `server-only` throws on import.
 */
export const authHandler = serverless(createAuthApp());
export const chatHandler = serverless(createChatApp());
