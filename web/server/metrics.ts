import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The web app's Prometheus metrics (one registry per process, kept across dev reloads). */
function createMetrics() {
  const registry = new Registry();
  registry.setDefaultLabels({ service: "web" });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Histogram({
      name: "chat_http_request_duration_seconds",
      help: "API request duration by route and status",
      labelNames: ["method", "route", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    messagesSent: new Counter({
      name: "chat_messages_sent_total",
      help: "Messages stored (created) and repeats answered from the store (duplicate)",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
    historyPages: new Counter({
      name: "chat_history_pages_total",
      help: "History pages served, by direction",
      labelNames: ["direction"] as const,
      registers: [registry],
    }),
  };
}

const globalForMetrics = globalThis as unknown as { __chatMetrics?: ReturnType<typeof createMetrics> };
export const metrics = (globalForMetrics.__chatMetrics ??= createMetrics());
