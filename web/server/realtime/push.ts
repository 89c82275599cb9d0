import { Webhook } from "standardwebhooks";
import type { MessagePush } from "socket-server/events";
import type { ChatMessage } from "@/lib/types";

/** Tells the socket server about stored messages. Never throws: a lost push is repaired by catch-up. */
export interface RealtimePush {
  messageCreated(message: ChatMessage): void;
}

export interface WebhookPushOptions {
  /** Socket server base URL (`/webhooks/messages` is appended). */
  url: string;
  /** `whsec_…` secret that signs each push. */
  secret: string;
  /** Runs work after the response (Next.js `after`); tests pass one that collects promises. */
  defer: (task: () => Promise<void>) => void;
  attempts?: number;
  timeoutMs?: number;
  backoffMs?: number;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signs a push in the Standard Webhooks format and returns the headers and body to send. */
export function signPush(secret: string, message: ChatMessage, now = new Date()) {
  const body = JSON.stringify({ type: "message.created", data: message } satisfies MessagePush);
  // The message id makes the webhook id: retries and re-sends are emitted once by the server.
  const id = `msg_${message.id}`;
  const signature = new Webhook(secret).sign(id, now, body);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    },
  };
}

/** At-least-once delivery to the socket server: a bounded number of attempts with backoff. */
export function createWebhookPush({
  url,
  secret,
  defer,
  attempts = 3,
  timeoutMs = 2_000,
  backoffMs = 250,
  fetchImpl = fetch,
  log = console.warn,
}: WebhookPushOptions): RealtimePush {
  const endpoint = `${url}/webhooks/messages`;

  async function deliver(message: ChatMessage): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Signed per attempt: a retry after a long wait must not carry a stale timestamp.
      const { body, headers } = signPush(secret, message);
      try {
        const response = await fetchImpl(endpoint, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
        if (response.ok) return;
        // 4xx is a configuration problem (wrong secret, bad payload): retrying cannot help.
        if (response.status < 500 && response.status !== 429) {
          log(`push ${headers["webhook-id"]} refused by the socket server: HTTP ${response.status}`);
          return;
        }
        log(`push ${headers["webhook-id"]} attempt ${attempt}/${attempts} failed: HTTP ${response.status}`);
      } catch (error) {
        log(`push ${headers["webhook-id"]} attempt ${attempt}/${attempts} failed: ${(error as Error).message}`);
      }
      if (attempt < attempts) await sleep(backoffMs * 4 ** (attempt - 1));
    }
  }

  return {
    messageCreated(message) {
      defer(() => deliver(message));
    },
  };
}
