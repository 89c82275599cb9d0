import { Counter } from "prom-client";
import { metrics } from "@/server/metrics";

/** Outbox outcomes per item: delivered, duplicates, retried, refused, expired (dropped past the max age). */
function createOutboxCounter() {
  return new Counter({
    name: "chat_push_outbox_items_total",
    help: "Push outbox items by outcome (expired: dropped after PUSH_OUTBOX_MAX_AGE_HOURS)",
    labelNames: ["result"] as const,
    registers: [metrics.registry],
  });
}

// IMPORTANT: on globalThis like the registry, or a second module layer would register the name twice.
const globalForOutbox = globalThis as unknown as { __chatOutboxCounter?: ReturnType<typeof createOutboxCounter> };
export const outboxCounter = (globalForOutbox.__chatOutboxCounter ??= createOutboxCounter());
