import { Webhook } from "standardwebhooks";
import type { Push } from "socket-server/contract";
import type { HeldPush } from "./outbox";
import type { ChatMessage, ConversationUpdate, ReadState } from "@/lib/types";

/**
 * Tells the socket server what happened. Never throws: a lost message push is repaired by
 * catch-up, a lost read push by the next conversation list.
 */
export interface RealtimePush {
  messageCreated(message: ChatMessage): void;
  /**
   * A message was edited or deleted, or a reaction changed (the outbox row was written by the
   * change's transaction, with its pos and recipients; the direct push has neither and sends nothing).
   */
  messageChanged(message: ChatMessage): void;
  readUpdated(state: ReadState): void;
  /** A group's name or members changed (`to`: members and the removed). */
  conversationUpdated(update: ConversationUpdate, to: string[]): void;
  /** Disconnects the sockets of that session (null: every session of the user). */
  sessionRevoked(data: { userId: string; sessionId: string | null }): void;
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

/**
 * The webhook id of a push: the socket server emits each id once, so retries and re-sends
 * of the same event collapse, while distinct events get distinct ids.
 */
export function pushId(push: Push): string {
  switch (push.type) {
    case "message.created":
      return `msg_${push.data.id}`;
    case "read.updated":
      return `read_${push.data.conversationId}_${push.data.userId}_${push.data.lastReadSeq}`;
    case "session.revoked":
      return `revoke_${push.data.userId}_${push.data.sessionId ?? "all"}_${Date.now()}`;
    case "conversation.updated":
      return `conv_${push.data.conversationId}_${Date.now()}`;
    case "message.changed":
      return `chg_${push.data.conversationId}_${push.data.pos}`;
  }
}

/** Signs a body (single push or batch) in the Standard Webhooks format: the headers to send with it. */
export function signBody(secret: string, id: string, body: string, now = new Date()) {
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

/** Signs a push in the Standard Webhooks format and returns the headers and body to send. */
export function signPush(secret: string, push: Push, id = pushId(push), now = new Date()) {
  return signBody(secret, id, JSON.stringify(push), now);
}

/**
 * Pushes through the transactional outbox: the rows were written by the change's own
 * transaction (triggers, see the push_outbox migration), so each call here only asks the
 * dispatcher to send what is due, after the response. `sessionRevoked` goes through `enqueue`
 * when the session store is not ours (Supabase), and is a no-op write otherwise.
 */
export function createOutboxPush({
  kick,
  defer,
  enqueueRevoked,
}: {
  /**
   * `pushIds`: rows the request's transaction wrote, claimed by name; none: the general claim.
   * `pushes`: rows whose payload the request holds, sent without a claim.
   */
  kick: (pushIds?: readonly string[], pushes?: readonly HeldPush[]) => Promise<unknown>;
  defer: (task: () => Promise<void>) => void;
  /** Records a revoked session in the outbox when the sign-out could not (Supabase mode). */
  enqueueRevoked?: (data: { userId: string; sessionId: string | null }) => Promise<void>;
}): RealtimePush {
  const dispatch = (pushIds?: readonly string[], pushes?: readonly HeldPush[]) => defer(async () => void (await kick(pushIds, pushes)));
  return {
    // A direct message's push is the message itself, as its trigger wrote it (message_json; a
    // group's adds the members at the commit): it leaves without a claim. Other rows are claimed
    // by the ids their triggers give them (see the migrations), so the hot path skips the scan.
    messageCreated: (message) => {
      const push: Push = { type: "message.created", data: message };
      if (message.recipientId !== null) dispatch([], [{ pushId: pushId(push), push }]);
      else dispatch([pushId(push)]);
    },
    messageChanged: () => dispatch(),
    readUpdated: (state) => dispatch([pushId({ type: "read.updated", data: state })]),
    conversationUpdated: () => dispatch(),
    sessionRevoked: (data) => {
      if (!enqueueRevoked) return dispatch();
      defer(async () => {
        await enqueueRevoked(data);
        await kick();
      });
    },
  };
}

/**
 * The direct push that preceded the outbox: signed and sent after the response, a bounded number
 * of attempts with backoff, lost if the process dies first. Kept as the benchmark's same-run
 * baseline (`PUSH_OUTBOX=off`); the app uses `createOutboxPush`.
 * IMPORTANT: it knows no group's members, so a group's messages and read positions reach nobody
 * live in this mode (clients catch up); groups need the outbox, which computes `to` at commit.
 */
export function createWebhookPush({
  url,
  secret,
  defer,
  // About 10 s in all (0.25 + 0.75 + 2.25 + 6.75 s of waits): long enough to ride out a
  // socket-server restart, short enough for a serverless function's after().
  attempts = 5,
  timeoutMs = 2_000,
  backoffMs = 250,
  fetchImpl = fetch,
  log = console.warn,
}: WebhookPushOptions): RealtimePush {
  const endpoint = `${url}/webhooks/messages`;

  async function deliver(push: Push, id: string): Promise<void> {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Signed per attempt: a retry after a long wait must not carry a stale timestamp.
      const { body, headers } = signPush(secret, push, id);
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
      if (attempt < attempts) await sleep(backoffMs * 3 ** (attempt - 1));
    }
  }

  const send = (push: Push) => {
    const id = pushId(push); // fixed before the first attempt, so every retry carries the same id
    defer(() => deliver(push, id));
  };
  return {
    messageCreated: (message) => send({ type: "message.created", data: message }),
    // The change's pos is known only to the database's row (the outbox): clients catch up on it.
    messageChanged: () => {},
    readUpdated: (state) => send({ type: "read.updated", data: state }),
    conversationUpdated: (update, to) => send({ type: "conversation.updated", data: update, to }),
    sessionRevoked: (data) => send({ type: "session.revoked", data }),
  };
}
