import "server-only";
import type { Server } from "node:http";
import path from "node:path";
// CommonJS without named exports under Node's ESM loader.
import nextEnv from "@next/env";
import { z } from "zod";

/**
 * Runs the auth (AUTH_PORT, 5001) and chat (CHAT_PORT, 5002) services in one process, off
 * Next.js: `npm run start:services`. One process, because the embedded database allows one
 * process per data folder; do not point a running Next.js app at the same DATA_DIR.
 * IMPORTANT: Node must run with `--conditions=react-server` (as Next.js runs route handlers),
 * or importing `server-only` throws.
 */

// The one .env at the repo root, as next.config.ts loads it; before the app modules read it.
nextEnv.loadEnvConfig(path.resolve(import.meta.dirname, "../.."), process.env.NODE_ENV !== "production");

const { ConfigError, getEnv } = await import("@/server/env");
const { closeServices, getServices } = await import("@/server/context");
const { logger } = await import("@/server/logger");
const { createAuthApp, createChatApp } = await import("@/server/express/apps");
// An entry point, above app/ and server/: it hands the route table to the mounts.
const { routeManifest } = await import("@/app/route-manifest");

const port = z.coerce.number().int().min(0).max(65_535);
const listenSchema = z.object({
  AUTH_PORT: port.default(5001),
  CHAT_PORT: port.default(5002),
  HOST: z.string().trim().min(1).default("0.0.0.0"),
});

// Bad settings or a locked data folder stop the process here, not on the first request.
let listen: z.output<typeof listenSchema>;
try {
  const parsed = listenSchema.safeParse(process.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  listen = parsed.data;
  getEnv();
  await getServices();
} catch (error) {
  if (error instanceof ConfigError) logger.fatal(error.message);
  else logger.fatal({ err: error }, "could not start the services");
  process.exit(1);
}

function start(name: string, app: ReturnType<typeof createAuthApp>, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, listen.HOST, (error?: Error) => {
      if (error) return reject(error);
      const address = server.address();
      logger.info(
        { url: `http://${listen.HOST}:${typeof address === "object" && address ? address.port : port}` },
        `${name} service listening`,
      );
      resolve(server);
    });
  });
}

let servers: Server[];
try {
  servers = await Promise.all([
    start("auth", createAuthApp(routeManifest), listen.AUTH_PORT),
    start("chat", createChatApp(routeManifest), listen.CHAT_PORT),
  ]);
} catch (error) {
  logger.fatal({ err: error }, "could not listen");
  process.exit(1);
}

// Process managers (systemd, Docker) wait longer than this before they kill.
const SHUTDOWN_GRACE_MS = 10_000;

function shutdown(signal: NodeJS.Signals): void {
  logger.info({ signal }, "shutting down");
  // A hung request must not keep the process alive forever.
  setTimeout(() => {
    logger.error({ graceMs: SHUTDOWN_GRACE_MS }, "shutdown timed out; exiting");
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  const closing = servers.map(
    (server) =>
      new Promise<void>((resolve) => {
        // Stops accepting, lets in-flight requests finish, and drops idle keep-alive connections.
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  );
  Promise.all(closing)
    .then(() => closeServices())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
}

process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
