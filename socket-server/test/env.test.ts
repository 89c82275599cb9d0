import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EnvError, loadEnvFile, parseEnv as parseEnvWith } from "../src/env.js";
import { newWebhookSecret } from "./helpers.js";

const JWT = "j".repeat(32);
const METRICS = "m".repeat(16);
// The checkout's development secrets, as dev-secrets.ts would make them (its own test covers the file).
const DEV = { authJwtSecret: "d".repeat(43), webhookSecret: newWebhookSecret() };
let devSecretsRead = 0;
const parseEnv = (source: Record<string, string | undefined>) =>
  parseEnvWith(source, {
    devSecrets: () => {
      devSecretsRead += 1;
      return DEV;
    },
  });

describe("parseEnv", () => {
  it("when nothing is set in development, then it uses the documented defaults and reports the dev secrets", () => {
    const { env, devDefaults } = parseEnv({});

    expect(env).toEqual({
      isProduction: false,
      port: 5003,
      host: "127.0.0.1",
      authJwtSecret: DEV.authJwtSecret,
      webhookSecrets: [DEV.webhookSecret],
      webOrigins: ["http://localhost:3000", "http://127.0.0.1:3000"],
      maxSocketsPerUser: 10,
    });
    expect(devDefaults).toEqual(["AUTH_JWT_SECRET", "WEBHOOK_SECRET"]);
  });

  it("when the secrets are missing in production, then it throws naming each variable and never reads the dev secrets", () => {
    const before = devSecretsRead;
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(EnvError);
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/AUTH_JWT_SECRET[\s\S]*WEBHOOK_SECRET[\s\S]*METRICS_TOKEN/);
    expect(() => parseEnv({ NODE_ENV: "production", AUTH_JWT_SECRET: JWT, METRICS_TOKEN: METRICS })).toThrow(/WEBHOOK_SECRET/);
    expect(devSecretsRead).toBe(before);
  });

  it("when METRICS_TOKEN is missing in production, then it throws naming METRICS_TOKEN", () => {
    const run = () => parseEnv({ NODE_ENV: "production", AUTH_JWT_SECRET: JWT, WEBHOOK_SECRET: newWebhookSecret() });
    expect(run).toThrow(EnvError);
    expect(run).toThrow(/METRICS_TOKEN: is required in production/);
    const { env } = parseEnv({ NODE_ENV: "production", AUTH_JWT_SECRET: JWT, WEBHOOK_SECRET: newWebhookSecret(), METRICS_TOKEN: METRICS });
    expect(env.metricsToken).toBe(METRICS);
  });

  it("when no host is set, then development listens on 127.0.0.1 and production on every interface; SOCKET_HOST beats HOST", () => {
    const production = { NODE_ENV: "production", AUTH_JWT_SECRET: JWT, WEBHOOK_SECRET: newWebhookSecret(), METRICS_TOKEN: METRICS };
    expect(parseEnv({}).env.host).toBe("127.0.0.1");
    expect(parseEnv(production).env.host).toBe("0.0.0.0");
    expect(parseEnv({ HOST: "0.0.0.0" }).env.host).toBe("0.0.0.0");
    expect(parseEnv({ ...production, HOST: "10.0.0.5" }).env.host).toBe("10.0.0.5");
    expect(parseEnv({ HOST: "0.0.0.0", SOCKET_HOST: "::1" }).env.host).toBe("::1");
  });

  it("when both secrets are set, then the development secrets file is not touched", () => {
    const before = devSecretsRead;
    parseEnv({ AUTH_JWT_SECRET: JWT, WEBHOOK_SECRET: newWebhookSecret() });
    expect(devSecretsRead).toBe(before);
  });

  it("when the development secrets cannot be read, then it throws an EnvError naming the variables", () => {
    const run = () =>
      parseEnvWith(
        {},
        {
          devSecrets: () => {
            throw new Error("/x/.data/dev-secrets.json is not a valid development secrets file");
          },
        },
      );
    expect(run).toThrow(EnvError);
    expect(run).toThrow(/AUTH_JWT_SECRET, WEBHOOK_SECRET: .*dev-secrets\.json/);
  });

  it("when a webhook secret lacks the whsec_ prefix, then it throws naming WEBHOOK_SECRET without echoing the value", () => {
    const run = () => parseEnv({ WEBHOOK_SECRET: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" });

    expect(run).toThrow(/WEBHOOK_SECRET/);
    expect(run).not.toThrow(/c2VjcmV0/);
  });

  it.each([["whsec_"], ["whsec_not base64!"], ["whsec_c2hvcnQ="]])("when WEBHOOK_SECRET is %s, then it throws", (secret) => {
    expect(() => parseEnv({ WEBHOOK_SECRET: secret })).toThrow(/WEBHOOK_SECRET/);
  });

  it("when several webhook secrets are space-separated, then all are kept in order", () => {
    const [first, second] = [newWebhookSecret(), newWebhookSecret()];

    expect(parseEnv({ WEBHOOK_SECRET: ` ${first}  ${second} ` }).env.webhookSecrets).toEqual([first, second]);
  });

  it("when SOCKET_PORT is not a number, then it throws naming SOCKET_PORT", () => {
    expect(() => parseEnv({ SOCKET_PORT: "abc" })).toThrow(/SOCKET_PORT/);
    expect(() => parseEnv({ SOCKET_PORT: "70000" })).toThrow(/SOCKET_PORT/);
  });

  it("when AUTH_JWT_SECRET is too short, then it throws naming it", () => {
    expect(() => parseEnv({ AUTH_JWT_SECRET: "short" })).toThrow(/AUTH_JWT_SECRET/);
  });

  it("when WEB_ORIGIN lists origins, then they are trimmed and normalised", () => {
    const { env } = parseEnv({ WEB_ORIGIN: " https://chat.example.com/ , http://localhost:3000" });

    expect(env.webOrigins).toEqual(["https://chat.example.com", "http://localhost:3000"]);
  });

  it("when WEB_ORIGIN holds something that is not an origin, then it throws naming it", () => {
    expect(() => parseEnv({ WEB_ORIGIN: "localhost:3000/chat" })).toThrow(/WEB_ORIGIN/);
  });

  it("when a variable is set but blank, then its default applies", () => {
    expect(parseEnv({ SOCKET_PORT: "", WEBHOOK_SECRET: " " }).env).toMatchObject({
      port: 5003,
      webhookSecrets: [DEV.webhookSecret],
    });
  });
});

describe("parseEnv: scale-out and operations", () => {
  it("when REDIS_URL is redis:// or rediss://, then it is kept", () => {
    expect(parseEnv({ REDIS_URL: "redis://127.0.0.1:6379" }).env.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(parseEnv({ REDIS_URL: " rediss://:pw@cache.example.com:6380/0 " }).env.redisUrl).toBe("rediss://:pw@cache.example.com:6380/0");
  });

  it("when REDIS_URL is not a redis URL, then it throws naming REDIS_URL without echoing the value", () => {
    const run = () => parseEnv({ REDIS_URL: "http://user:hunter2@cache.example.com" });

    expect(run).toThrow(/REDIS_URL/);
    expect(run).not.toThrow(/hunter2/);
    expect(() => parseEnv({ REDIS_URL: "127.0.0.1:6379" })).toThrow(/REDIS_URL/);
  });

  it("when the optional settings are unset, then they stay absent", () => {
    const { env } = parseEnv({});

    expect(env.redisUrl).toBeUndefined();
    expect(env.logLevel).toBeUndefined();
    expect(env.logPretty).toBeUndefined();
    expect(env.metricsToken).toBeUndefined();
  });

  it("when LOG_LEVEL and LOG_PRETTY are set, then they are parsed", () => {
    expect(parseEnv({ LOG_LEVEL: "DEBUG", LOG_PRETTY: "1" }).env).toMatchObject({ logLevel: "debug", logPretty: true });
    expect(parseEnv({ LOG_PRETTY: "false" }).env.logPretty).toBe(false);
  });

  it("when LOG_LEVEL or LOG_PRETTY is not recognised, then it throws naming it", () => {
    expect(() => parseEnv({ LOG_LEVEL: "verbose" })).toThrow(/LOG_LEVEL/);
    expect(() => parseEnv({ LOG_PRETTY: "maybe" })).toThrow(/LOG_PRETTY/);
  });

  it("when SOCKET_MAX_PER_USER is set, then it is kept; outside 1–1000 or not a number, it throws naming it", () => {
    expect(parseEnv({ SOCKET_MAX_PER_USER: " 25 " }).env.maxSocketsPerUser).toBe(25);
    for (const value of ["0", "1001", "ten", "2.5", "-1"]) {
      expect(() => parseEnv({ SOCKET_MAX_PER_USER: value })).toThrow(/SOCKET_MAX_PER_USER/);
    }
  });

  it("when METRICS_TOKEN is too short, then it throws naming it", () => {
    expect(() => parseEnv({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN/);
    expect(parseEnv({ METRICS_TOKEN: METRICS }).env.metricsToken).toBe(METRICS);
  });
});

describe("loadEnvFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "socket-env-"));
  const names = ["SOCKET_TEST_FROM_FILE", "SOCKET_TEST_ALREADY_SET"];

  afterEach(() => {
    for (const name of names) delete process.env[name];
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("when .env sets a variable the environment already has, then the environment wins", () => {
    const file = join(dir, ".env");
    writeFileSync(file, "SOCKET_TEST_FROM_FILE=file\nSOCKET_TEST_ALREADY_SET=file\n");
    process.env.SOCKET_TEST_ALREADY_SET = "environment";

    loadEnvFile(file);

    expect(process.env.SOCKET_TEST_FROM_FILE).toBe("file");
    expect(process.env.SOCKET_TEST_ALREADY_SET).toBe("environment");
  });

  it("when there is no .env, then nothing happens", () => {
    expect(() => loadEnvFile(join(dir, "missing.env"))).not.toThrow();
  });
});

describe("Supabase mode env", () => {
  const webhook = `whsec_${Buffer.from("a-production-webhook-secret-32b!").toString("base64")}`;

  it("when SUPABASE_URL is set in production, then AUTH_JWT_SECRET is not required", () => {
    const { env } = parseEnv({
      NODE_ENV: "production",
      SUPABASE_URL: "https://ref.supabase.co",
      WEBHOOK_SECRET: webhook,
      METRICS_TOKEN: METRICS,
    });
    expect(env.supabaseUrl).toBe("https://ref.supabase.co");
  });

  it("when SUPABASE_URL is not a URL or the legacy secret is short, then start-up fails naming them", () => {
    expect(() => parseEnv({ SUPABASE_URL: "ref.supabase.co" })).toThrow(/SUPABASE_URL/);
    expect(() => parseEnv({ SUPABASE_JWT_SECRET: "short" })).toThrow(/SUPABASE_JWT_SECRET/);
  });
});
