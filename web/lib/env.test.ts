import { describe, expect, it } from "vitest";
import { ConfigError, parseEnv } from "./env";

const production = {
  NODE_ENV: "production",
  APP_URL: "https://chat.example.com",
  AUTH_JWT_SECRET: "a-production-secret-that-is-long-enough",
  WEBHOOK_SECRET: "whsec_cHJvZHVjdGlvbi13ZWJob29rLXNlY3JldA==",
  SMTP_URL: "smtps://user:pass@smtp.example.com:465",
};

describe("parseEnv", () => {
  it("when nothing is configured in development, then safe defaults are used and the mailbox is on", () => {
    const env = parseEnv({ NODE_ENV: "development" });
    expect(env.appUrl).toBe("http://localhost:3000");
    expect(env.devMailbox).toBe(true);
    expect(env.webhookSecrets).toHaveLength(1);
    expect(env.dataDir.endsWith(".data")).toBe(true);
  });

  it("when production is fully configured, then it parses and the dev mailbox is off", () => {
    const env = parseEnv(production);
    expect(env.devMailbox).toBe(false);
    expect(env.isProduction).toBe(true);
  });

  it.each(["AUTH_JWT_SECRET", "WEBHOOK_SECRET", "APP_URL", "SMTP_URL"])(
    "when %s is missing in production, then start-up fails naming it",
    (name) => {
      const source: Record<string, string | undefined> = { ...production, [name]: undefined };
      expect(() => parseEnv(source)).toThrow(ConfigError);
      expect(() => parseEnv(source)).toThrow(name);
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
