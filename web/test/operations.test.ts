import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as healthz from "@/app/healthz/route";
import * as readyz from "@/app/readyz/route";
import * as metricsRoute from "@/app/api/metrics/route";
import { startTestApp } from "./support/app-env";
import { call, signIn } from "./support/routes";

let app: Awaited<ReturnType<typeof startTestApp>>;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

describe("health, readiness and metrics", () => {
  it("when the process runs, then /healthz is 200", async () => {
    const res = healthz.GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { ok: true } });
  });

  it("when the database answers, then /readyz is 200 with each check", async () => {
    const res = await readyz.GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { ready: true, checks: { database: "ok" } } });
  });

  it("when messages are sent and history read, then the metrics count them", async () => {
    const alice = await signIn("metrics-a@example.com");
    const bob = await signIn("metrics-b@example.com");
    const clientId = crypto.randomUUID();
    for (let i = 0; i < 2; i++) {
      await call("POST", "/api/chat/send", { cookie: alice.cookie, json: { recipientId: bob.userId, content: "count me", clientId } });
    }
    await call("GET", `/api/chat/history?with=${bob.userId}`, { cookie: alice.cookie });
    const text = await (await metricsRoute.GET(new Request("http://localhost/api/metrics"))).text();
    expect(text).toMatch(/chat_messages_sent_total\{result="created",service="web"\} 1/);
    expect(text).toMatch(/chat_messages_sent_total\{result="duplicate",service="web"\} 1/);
    expect(text).toMatch(/chat_history_pages_total\{direction="latest",service="web"\} 1/);
    expect(text).toMatch(/chat_http_request_duration_seconds_count\{[^}]*route="\/api\/chat\/send",status="201"[^}]*\} 1/);
    expect(text).toContain("nodejs_eventloop_lag_seconds");
  });

  it("when METRICS_TOKEN is set, then /api/metrics needs it", async () => {
    // getEnv() caches the parsed env for the process: parse again with the token.
    const cache = globalThis as unknown as { __chatEnv?: unknown };
    process.env.METRICS_TOKEN = "scrape-secret-0123456789";
    delete cache.__chatEnv;
    try {
      expect((await metricsRoute.GET(new Request("http://localhost/api/metrics"))).status).toBe(401);
      const wrong = await metricsRoute.GET(
        new Request("http://localhost/api/metrics", { headers: { authorization: "Bearer scrape-secret-012345678X" } }),
      );
      expect(wrong.status).toBe(401);
      const ok = await metricsRoute.GET(
        new Request("http://localhost/api/metrics", { headers: { authorization: "Bearer scrape-secret-0123456789" } }),
      );
      expect(ok.status).toBe(200);
    } finally {
      delete process.env.METRICS_TOKEN;
      delete cache.__chatEnv;
    }
  });
});
