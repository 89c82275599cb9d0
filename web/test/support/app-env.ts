import fs from "node:fs";
import { closeServices } from "@/server/context";
import { copyTemplateDataDir } from "./db";
import { startPushReceiver } from "./push-receiver";

export const TEST_WEBHOOK_SECRET = "whsec_dGVzdC13ZWJob29rLXNlY3JldC1mb3Itcm91dGVzLW9ubHk=";
export const TEST_JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256";

/** Points the app's composition root at a fresh database and a push receiver. */
export async function startTestApp({
  socketServerUrl,
  productionLimits = false,
}: { socketServerUrl?: string; productionLimits?: boolean } = {}) {
  const dataDir = copyTemplateDataDir();
  const receiver = await startPushReceiver(TEST_WEBHOOK_SECRET);
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    APP_URL: "http://localhost:3000",
    SOCKET_SERVER_URL: socketServerUrl ?? receiver.url,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
  });
  // Tests sign the same address in many times; the limits have their own test.
  const limits = {
    RATE_LIMIT_LOGIN_EMAIL: "1000/60",
    RATE_LIMIT_LOGIN_IP: "1000/60",
    RATE_LIMIT_SEND: "1000/10",
    RATE_LIMIT_USERS: "1000/60",
  };
  for (const [name, value] of Object.entries(limits)) {
    if (productionLimits) delete process.env[name];
    else process.env[name] = value;
  }
  return {
    receiver,
    async stop() {
      await closeServices();
      await receiver.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
