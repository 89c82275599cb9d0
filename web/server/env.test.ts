import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv as parseEnvWith } from "./env";

// The checkout's development secrets as socket-server/dev-secrets makes them (its own test covers the file).
const DEV = { authJwtSecret: "d".repeat(43), webhookSecret: "whsec_ZGV2LXNlY3JldHMtZm9yLXRoaXMtdGVzdC1vbmx5LTMyYg==" };
let devSecretsRead = 0;
const parseEnv = (source: Record<string, string | undefined>) =>
  parseEnvWith(source, {
    devSecrets: () => {
      devSecretsRead += 1;
      return DEV;
    },
  });

const production = {
  NODE_ENV: "production",
  APP_URL: "https://chat.example.com",
  AUTH_JWT_SECRET: "a-production-secret-that-is-long-enough",
  WEBHOOK_SECRET: "whsec_cHJvZHVjdGlvbi13ZWJob29rLXNlY3JldA==",
  SMTP_URL: "smtps://user:pass@smtp.example.com:465",
  METRICS_TOKEN: "a-scrape-token-of-16+",
};

describe("parseEnv", () => {
  it("when nothing is configured in development, then safe defaults are used and the mailbox is on", () => {
    const env = parseEnv({ NODE_ENV: "development" });
    expect(env.appUrl).toBe("http://localhost:3000");
    expect(env.devMailbox).toBe(true);
    expect(env.jwtSecret).toBe(DEV.authJwtSecret);
    expect(env.webhookSecrets).toEqual([DEV.webhookSecret]);
    expect(env.dataDir.endsWith(".data")).toBe(true);
    expect(env.trustProxyHops).toBe(0);
    expect(env.metricsToken).toBeUndefined();
  });

  it("when both secrets are set, then the development secrets are not read", () => {
    const before = devSecretsRead;
    parseEnv({ NODE_ENV: "development", AUTH_JWT_SECRET: production.AUTH_JWT_SECRET, WEBHOOK_SECRET: production.WEBHOOK_SECRET });
    expect(devSecretsRead).toBe(before);
  });

  it("when TRUST_PROXY_HOPS is set, then it is a small whole number", () => {
    expect(parseEnv({ NODE_ENV: "development", TRUST_PROXY_HOPS: "2" }).trustProxyHops).toBe(2);
    for (const bad of ["-1", "1.5", "x", "11"]) {
      expect(() => parseEnv({ NODE_ENV: "development", TRUST_PROXY_HOPS: bad })).toThrow("TRUST_PROXY_HOPS");
    }
  });

  it("when METRICS_TOKEN is short, then start-up fails naming it", () => {
    expect(() => parseEnv({ NODE_ENV: "development", METRICS_TOKEN: "short" })).toThrow("METRICS_TOKEN");
  });

  it("when production is fully configured, then it parses and the dev mailbox is off", () => {
    const env = parseEnv(production);
    expect(env.devMailbox).toBe(false);
    expect(env.isProduction).toBe(true);
  });

  it.each(["AUTH_JWT_SECRET", "WEBHOOK_SECRET", "APP_URL", "SMTP_URL", "METRICS_TOKEN"])(
    "when %s is missing in production, then start-up fails naming it (and no development secret is used)",
    (name) => {
      const before = devSecretsRead;
      const source: Record<string, string | undefined> = { ...production, [name]: undefined };
      expect(() => parseEnv(source)).toThrow(ConfigError);
      expect(() => parseEnv(source)).toThrow(`${name}: is required in production`);
      expect(devSecretsRead).toBe(before);
    },
  );

  it.each([
    ["WEBHOOK_SECRET", "not-a-whsec"],
    ["AUTH_JWT_SECRET", "short"],
    ["APP_URL", "localhost:3000"],
    ["ACCESS_TOKEN_TTL_SECONDS", "soon"],
  ])("when %s is malformed, then start-up fails naming it", (name, value) => {
    expect(() => parseEnv({ NODE_ENV: "development", [name]: value })).toThrow(name);
  });

  it("when the dev mailbox is forced on in production, then start-up fails", () => {
    expect(() => parseEnv({ ...production, DEV_MAILBOX: "on" })).toThrow("DEV_MAILBOX");
  });
});
