import path from "node:path";
import { loadEnvConfig } from "@next/env";
import type { NextConfig } from "next";

// One .env at the repo root configures both the web app and the socket server.
loadEnvConfig(path.resolve(import.meta.dirname, ".."), process.env.NODE_ENV !== "production");

const nextConfig: NextConfig = {
  // Lets a test or benchmark build beside a developer's own .next without clobbering it.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // PGlite loads its WASM and data files from its own folder: keep it out of the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "nodemailer", "pino", "pino-pretty"],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
