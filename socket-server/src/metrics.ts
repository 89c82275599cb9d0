import { timingSafeEqual, createHash } from "node:crypto";
import type { RequestHandler } from "express";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export const PUSH_REJECTION_REASONS = ["signature", "payload", "too_large", "unavailable", "internal"] as const;
export type PushRejectionReason = (typeof PUSH_REJECTION_REASONS)[number];

/** The app's Prometheus metrics, on a registry of its own (tests build several apps). */
export interface Metrics {
  registry: Registry;
  pushesReceived: Counter;
  pushesRejected: Counter<"reason">;
  pushesDuplicate: Counter;
  /** Seconds from a push's arrival to its emit being handed to Socket.IO. */
  pushEmitSeconds: Histogram;
  eventsRateLimited: Counter;
  eventsForbidden: Counter;
}

export function createMetrics({ countSockets }: { countSockets: () => number }): Metrics {
  const registry = new Registry();
  // Process metrics: CPU, memory, handles, GC, event-loop lag.
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: "socket_server_connected_sockets",
    help: "Sockets connected to this instance",
    registers: [registry],
    collect() {
      this.set(countSockets());
    },
  });

  const pushesRejected = new Counter({
    name: "socket_server_pushes_rejected_total",
    help: "Webhook pushes refused, by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  // Export every reason from the start, so rate() sees 0 rather than no series.
  for (const reason of PUSH_REJECTION_REASONS) pushesRejected.labels(reason).inc(0);

  return {
    registry,
    pushesReceived: new Counter({
      name: "socket_server_pushes_received_total",
      help: "Webhook requests received (every POST /webhooks/messages; a batch counts once)",
      registers: [registry],
    }),
    pushesRejected,
    pushesDuplicate: new Counter({
      name: "socket_server_pushes_duplicate_total",
      help: "Pushes (single or batch items) acknowledged but not emitted: their id was already delivered",
      registers: [registry],
    }),
    pushEmitSeconds: new Histogram({
      name: "socket_server_push_emit_seconds",
      help: "Time from a push's arrival to its emit",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    eventsRateLimited: new Counter({
      name: "socket_server_events_rate_limited_total",
      help: "Client-to-server socket events dropped by the per-user rate limit",
      registers: [registry],
    }),
    eventsForbidden: new Counter({
      name: "socket_server_events_forbidden_total",
      help: "Typing events dropped because they named someone who shares no conversation with the sender",
      registers: [registry],
    }),
  };
}

/** `GET /metrics` in the Prometheus text format; with `token`, only for `Authorization: Bearer <token>`. */
export function createMetricsHandler(registry: Registry, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);

  return async (req, res) => {
    if (expected) {
      const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
      // Compare digests: equal length, constant time, whatever the caller sent.
      if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
        res.status(401).json({ error: { code: "unauthorized", message: "A valid metrics token is required" } });
        return;
      }
    }
    res.setHeader("Content-Type", registry.contentType);
    res.send(await registry.metrics());
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
