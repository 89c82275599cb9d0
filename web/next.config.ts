import path from "node:path";
import { loadEnvConfig } from "@next/env";
import type { NextConfig } from "next";

// One .env at the repo root configures both the web app and the socket server.
loadEnvConfig(path.resolve(import.meta.dirname, ".."), process.env.NODE_ENV !== "production");

const nextConfig: NextConfig = {
  // Lets a test or benchmark build beside a developer's own .next without clobbering it.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // The dev indicator sits bottom-left, over "New group" on a desktop and the attach button on a
  // phone; compile and runtime errors still show without it.
  devIndicators: false,
  // PGlite loads its WASM and data files from its own folder: keep it out of the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "nodemailer", "pino", "pino-pretty"],
  // The workspace package ships TypeScript (socket-server/contract and socket-server/dev-secrets, shared with the socket server).
  transpilePackages: ["socket-server"],
  // The migrations and the shim are read at run time: ship them with the server functions.
  outputFileTracingIncludes: { "/*": ["../supabase/migrations/*.sql", "./server/store/sql/*.sql"] },
  // IMPORTANT: Next.js copies the body of every request that passes proxy.ts into memory, up to
  // this size (then silently truncates). No route under the proxy reads a body; keep the copy small.
  experimental: { proxyClientMaxBodySize: "16kb" },
  poweredByHeader: false,
  reactStrictMode: true,
  // Security headers on every response (the CSP, which needs a per-request nonce, is set in proxy.ts).
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "X-Frame-Options", value: "DENY" },
          // Never send this site's URLs (magic-link tokens included) to other sites.
          { key: "Referrer-Policy", value: "same-origin" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=(), payment=()" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
          ...(process.env.NODE_ENV === "production"
            ? [{ key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" }]
            : []),
        ],
      },
    ];
  },
};

export default nextConfig;
