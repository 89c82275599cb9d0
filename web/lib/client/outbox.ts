import type { ChatMessage } from "@/lib/types";
import { ApiError, apiFetch, createChatApi, type SendInput } from "./api";
import { createClientId } from "./client-id";
import type { UploadReadiness } from "./uploads";

/**
 * A message of ours the server has not confirmed yet.
 * `pending`: being sent, or waiting to be retried; `failed`: the server refused it (a 4xx),
 * it waits for the user to retry or discard it.
 */
export interface OutboxItem {
  clientId: string;
  /** A direct message: the peer (sent as `recipientId`, which opens the conversation if need be). Null in a group. */
  recipientId: string | null;
  /** A group message: its conversation. Null for a direct message. */
  conversationId: string | null;
  content: string;
  /** The message it replies to (absent: none). */
  replyToId?: string;
  /** When it was written (ISO). */
  createdAt: string;
  /** Queue position: messages to one conversation are sent in this order, one at a time. */
  order: number;
  status: "pending" | "failed";
  /** Failed attempts so far. */
  attempts: number;
  /** Epoch ms before which it is not tried again (0: at once). */
  nextAttemptAt: number;
  /** Why the last attempt failed: the server's message for a refusal, the transient reason otherwise. */
  error?: string;
  /** Its files (upload ids, see `Uploads`): it is sent, with their attachment ids, once all are done. */
  uploads?: string[];
}

/** The slice of the Web Storage API the outbox uses (localStorage in the browser). */
export type OutboxStorage = Pick<Storage, "getItem" | "setItem" | "removeItem" | "key" | "length">;

export interface BackoffOptions {
  /** First retry after 50–100% of this. */
  baseMs: number;
  /** Retries never wait longer than this. */
  maxMs: number;
}

export interface OutboxOptions {
  userId: string;
  storage: OutboxStorage;
  /** POSTs one message (same clientId every time, with its ready attachments); throws an ApiError on failure. */
  send(item: OutboxItem, attachmentIds?: string[]): Promise<ChatMessage>;
  /**
   * Whether an item's uploads let it go. Until they do it waits (and holds its conversation's
   * later messages, to keep their order); call `flush()` when an upload settles.
   */
  uploadsOf?(uploadIds: string[]): UploadReadiness;
  /** The server stored it (201) or already had it (200). */
  onSent?(message: ChatMessage): void;
  /** A 401: this outbox stops sending (after signing in again, the next one finds the items still there). */
  onUnauthorized?(): void;
  /** Runs `task` exclusively across tabs (navigator.locks). Without it, only within this instance. */
  lock?(name: string, task: () => Promise<void>): Promise<void>;
  /** When false, nothing is attempted (the `online` event calls `flush({ resetBackoff: true })`). */
  isOnline?(): boolean;
  backoff?: BackoffOptions;
  now?(): number;
  random?(): number;
}

export interface Outbox {
  /** Pending and failed items, in queue order. The same array until something changes. */
  items(): OutboxItem[];
  /** Queues a new message (stored before anything is sent) and starts sending. */
  add(message: OutboxTarget & { content: string; replyToId?: string; uploads?: string[] }): OutboxItem;
  /** Sends a failed or waiting item again, now, with the same clientId. */
  retry(clientId: string): void;
  /** Drops an item (a failed one; or a waiting one the user gives up on). */
  discard(clientId: string): void;
  /** The message was seen stored (live or in history): nothing left to send. */
  confirm(clientId: string): void;
  /** Drops every item of this user (explicit sign-out). */
  clear(): void;
  /**
   * Sends everything due, in order. `resetBackoff`: the network or the server just came back,
   * so waiting items go now (a server's Retry-After is still honoured).
   */
  flush(options?: { resetBackoff?: boolean }): Promise<void>;
  /**
   * Re-reads storage (another tab changed it) and tells subscribers. `graceMs`: send nothing
   * before then, since the tab that queued an item is normally sending it right now.
   */
  reload(options?: { graceMs?: number }): void;
  subscribe(listener: (items: OutboxItem[]) => void): () => void;
  dispose(): void;
}

/** Where a message goes: a person (direct) or a group. */
export type OutboxTarget = { recipientId: string; conversationId?: never } | { conversationId: string; recipientId?: never };

/** The conversation an item queues in: messages in one are sent in order, one at a time. */
export function queueOf(item: Pick<OutboxItem, "recipientId" | "conversationId">): string {
  return item.conversationId ?? item.recipientId ?? "";
}

/** The send endpoint's body for an item (same clientId on every attempt). */
export function sendInputOf(item: OutboxItem, attachmentIds?: string[]): SendInput {
  const { clientId, content } = item;
  const reply = item.replyToId ? { replyToId: item.replyToId } : {};
  const files = attachmentIds && attachmentIds.length > 0 ? { attachmentIds } : {};
  return item.conversationId !== null
    ? { conversationId: item.conversationId, content, clientId, ...reply, ...files }
    : { recipientId: item.recipientId ?? "", content, clientId, ...reply, ...files };
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };
// Bounds one flush; whatever is left goes in the next one.
const MAX_SENDS_PER_FLUSH = 500;

/** Storage key prefix of one user's outbox: two accounts in one browser never share items. */
export function outboxKeyPrefix(userId: string): string {
  return `chat:outbox:v1:${userId}:`;
}

/**
 * Delay before retry number `attempt` (1, 2, …): exponential with "equal jitter", i.e.
 * 50–100% of min(maxMs, baseMs · 2^(attempt-1)). Default: ~1 s, 2 s, 4 s, 8 s, 16 s, 30 s, 30 s…
 */
export function retryDelay(attempt: number, random: () => number = Math.random, backoff: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type SendFailure =
  /** The server cannot be reached or timed out: everything waits, the network is shared. */
  | { kind: "network"; message: string }
  /** 429: the user's send budget is spent; everything waits at least Retry-After. */
  | { kind: "rate_limited"; message: string; retryAfterMs?: number }
  /** 5xx/408: try this conversation again later. */
  | { kind: "server"; message: string; retryAfterMs?: number }
  /** 401: signed out. */
  | { kind: "unauthorized"; message: string }
  /** Any other 4xx: the server refused this message; retrying the same body cannot help. */
  | { kind: "refused"; message: string };

/** How a failed send is handled; exported for tests. */
export function classifySendError(error: unknown): SendFailure {
  if (!(error instanceof ApiError)) {
    // Not an HTTP answer (a bug, a stream cut mid-body): keep the message and try again.
    return { kind: "server", message: error instanceof Error ? error.message : "Sending failed." };
  }
  const { status, message, retryAfterMs } = error;
  if (status === 0) return { kind: "network", message };
  if (status === 401) return { kind: "unauthorized", message };
  if (status === 429) return { kind: "rate_limited", message, retryAfterMs };
  if (status >= 500 || status === 408) return { kind: "server", message, retryAfterMs };
  return { kind: "refused", message };
}

function parseItem(raw: string | null): OutboxItem | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<OutboxItem>;
    if (typeof value.clientId !== "string" || typeof value.content !== "string") return null;
    // Exactly one target; items stored before groups carry only recipientId.
    const recipientId = typeof value.recipientId === "string" ? value.recipientId : null;
    const conversationId = typeof value.conversationId === "string" ? value.conversationId : null;
    if ((recipientId === null) === (conversationId === null)) return null;
    return {
      clientId: value.clientId,
      recipientId,
      conversationId,
      content: value.content,
      createdAt: typeof value.createdAt === "string" ? value.createdAt : new Date(0).toISOString(),
      order: typeof value.order === "number" ? value.order : 0,
      status: value.status === "failed" ? "failed" : "pending",
      attempts: typeof value.attempts === "number" ? value.attempts : 0,
      nextAttemptAt: typeof value.nextAttemptAt === "number" ? value.nextAttemptAt : 0,
      ...(typeof value.error === "string" ? { error: value.error } : {}),
      ...(typeof value.replyToId === "string" ? { replyToId: value.replyToId } : {}),
      ...(Array.isArray(value.uploads) ? { uploads: value.uploads.filter((id) => typeof id === "string") } : {}),
    };
  } catch {
    return null;
  }
}

const byOrder = (a: OutboxItem, b: OutboxItem) => a.order - b.order || (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0);

/**
 * A durable outbox: every unsent message lives in storage under its own key
 * (`chat:outbox:v1:<userId>:<clientId>`) until the server confirms it, and is sent with the
 * same clientId however many times it takes, so the server stores it once.
 *
 * - One key per item, never a shared list: two tabs writing at once cannot lose each other's items.
 * - Sending is serial and in queue order, so a conversation's messages are stored in the order
 *   they were written; a conversation whose head waits holds back its later messages only.
 * - `lock` makes one tab at a time send (navigator.locks). Another tab that still sees an item
 *   just sent (storage propagates between tabs asynchronously) may send it again: the server
 *   answers 200 with the same message, and the UI merges it by id.
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { userId, storage, send, onSent, onUnauthorized, uploadsOf, isOnline = () => true } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const lock = options.lock ?? ((_name: string, task: () => Promise<void>) => task());
  const prefix = outboxKeyPrefix(userId);
  const lockName = `chat:outbox:${userId}`;

  // Items whose write failed (quota, storage disabled): still sent from this tab, just not durable.
  const volatile = new Map<string, OutboxItem>();
  const listeners = new Set<(items: OutboxItem[]) => void>();
  let snapshot: OutboxItem[] = [];
  let lastOrder = 0;
  let flushing: Promise<void> | null = null;
  let again = false;
  let paused = false;
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Network failures and 429s hold back every conversation: these are per tab, in memory.
  let networkFailures = 0;
  let networkNotBefore = 0;
  let rateLimitedUntil = 0;

  function readAll(): OutboxItem[] {
    const items = new Map<string, OutboxItem>(volatile);
    try {
      for (let index = 0; index < storage.length; index += 1) {
        const key = storage.key(index);
        if (!key?.startsWith(prefix)) continue;
        const item = parseItem(storage.getItem(key));
        if (item) items.set(item.clientId, item);
      }
    } catch {
      // Storage unreadable: what is in memory is all there is.
    }
    return [...items.values()].sort(byOrder);
  }

  function read(clientId: string): OutboxItem | null {
    try {
      return volatile.get(clientId) ?? parseItem(storage.getItem(prefix + clientId));
    } catch {
      return volatile.get(clientId) ?? null;
    }
  }

  function write(item: OutboxItem): void {
    try {
      storage.setItem(prefix + item.clientId, JSON.stringify(item));
      volatile.delete(item.clientId);
    } catch {
      volatile.set(item.clientId, item);
    }
  }

  /** Rewrites an item only if it is still there: a discard or confirm in between wins. */
  function update(clientId: string, patch: Partial<OutboxItem>): void {
    const current = read(clientId);
    if (current) write({ ...current, ...patch });
  }

  function remove(clientId: string): void {
    volatile.delete(clientId);
    try {
      storage.removeItem(prefix + clientId);
    } catch {
      // Nothing stored to remove.
    }
  }

  function changed(): void {
    const next = readAll();
    for (const item of next) lastOrder = Math.max(lastOrder, item.order);
    // Same items as before: keep the array, so nothing re-renders.
    if (JSON.stringify(next) === JSON.stringify(snapshot)) return;
    snapshot = next;
    for (const listener of listeners) listener(snapshot);
  }

  /** Its uploads, if any, are not all done: it waits for `flush()`, not for a timer. */
  function waitsForUploads(item: OutboxItem): UploadReadiness | null {
    if (!item.uploads?.length) return null;
    const readiness = uploadsOf?.(item.uploads) ?? { state: "blocked" };
    return readiness.state === "ready" ? null : readiness;
  }

  /** When the next send is due: each conversation's first pending item decides for it. */
  function nextDue(): number | null {
    const heads = new Map<string, OutboxItem>();
    for (const item of snapshot) {
      if (item.status === "pending" && !heads.has(queueOf(item))) heads.set(queueOf(item), item);
    }
    for (const [queue, head] of heads) if (waitsForUploads(head)) heads.delete(queue);
    if (heads.size === 0) return null;
    const earliest = Math.min(...[...heads.values()].map((item) => item.nextAttemptAt));
    return Math.max(earliest, networkNotBefore, rateLimitedUntil);
  }

  function schedule(minDelayMs = 0): void {
    clearTimeout(timer);
    // Offline: the `online` event flushes; polling would only burn attempts.
    if (disposed || paused || !isOnline()) return;
    const due = nextDue();
    if (due === null) return;
    timer = setTimeout(() => void flush(), Math.max(minDelayMs, due - now()));
  }

  async function sendDue(): Promise<void> {
    // Conversations whose head waits: their later messages wait too (order).
    const held = new Set<string>();
    let sends = 0;
    for (const queued of readAll()) {
      if (disposed || paused || !isOnline() || sends >= MAX_SENDS_PER_FLUSH) return;
      if (now() < Math.max(networkNotBefore, rateLimitedUntil)) return;
      if (queued.status !== "pending" || held.has(queueOf(queued))) continue;
      // Re-read: confirmed, discarded or retried by another tab while we were sending.
      const item = read(queued.clientId);
      if (!item || item.status !== "pending") continue;
      if (item.nextAttemptAt > now()) {
        held.add(queueOf(item));
        continue;
      }
      let attachmentIds: string[] | undefined;
      if (item.uploads?.length) {
        const readiness = uploadsOf?.(item.uploads) ?? { state: "blocked" };
        if (readiness.state !== "ready") {
          held.add(queueOf(item));
          continue;
        }
        attachmentIds = readiness.attachmentIds;
      }
      sends += 1;
      let message: ChatMessage;
      try {
        message = await send(item, attachmentIds);
      } catch (error) {
        const failure = classifySendError(error);
        const attempts = item.attempts + 1;
        switch (failure.kind) {
          case "unauthorized":
            paused = true;
            onUnauthorized?.();
            return;
          case "refused":
            update(item.clientId, { status: "failed", attempts, error: failure.message });
            changed();
            continue;
          case "server": {
            const wait = Math.max(failure.retryAfterMs ?? 0, retryDelay(attempts, random, backoff));
            update(item.clientId, { attempts, nextAttemptAt: now() + wait, error: failure.message });
            changed();
            held.add(queueOf(item));
            continue;
          }
          case "network":
          case "rate_limited": {
            networkFailures += 1;
            const wait = Math.max(
              failure.kind === "rate_limited" ? (failure.retryAfterMs ?? 1_000) : 0,
              retryDelay(networkFailures, random, backoff),
            );
            networkNotBefore = now() + wait;
            if (failure.kind === "rate_limited") rateLimitedUntil = networkNotBefore;
            update(item.clientId, { attempts, nextAttemptAt: networkNotBefore, error: failure.message });
            changed();
            return;
          }
        }
      }
      networkFailures = 0;
      // Shown as sent before the pending bubble goes, so the two updates render as one.
      onSent?.(message);
      remove(item.clientId);
      changed();
    }
  }

  function flush({ resetBackoff = false }: { resetBackoff?: boolean } = {}): Promise<void> {
    if (disposed) return Promise.resolve();
    if (resetBackoff) {
      networkFailures = 0;
      networkNotBefore = 0;
      for (const item of readAll()) {
        if (item.status === "pending" && item.nextAttemptAt > 0) update(item.clientId, { nextAttemptAt: 0 });
      }
      changed();
    }
    if (flushing) {
      // Runs once more when the current round ends: it may have passed this item already.
      again = true;
      return flushing;
    }
    clearTimeout(timer);
    flushing = (async () => {
      do {
        again = false;
        try {
          await lock(lockName, sendDue);
        } catch {
          // A lock or storage failure must not stop later flushes.
        }
      } while (again && !disposed && !paused);
    })().finally(() => {
      flushing = null;
      changed();
      schedule();
    });
    return flushing;
  }

  changed();

  return {
    items: () => snapshot,
    add({ recipientId, conversationId, content, replyToId, uploads }) {
      lastOrder = Math.max(now(), lastOrder + 1);
      const item: OutboxItem = {
        clientId: createClientId(),
        recipientId: recipientId ?? null,
        conversationId: conversationId ?? null,
        content,
        createdAt: new Date(now()).toISOString(),
        order: lastOrder,
        status: "pending",
        attempts: 0,
        nextAttemptAt: 0,
        ...(replyToId ? { replyToId } : {}),
        ...(uploads?.length ? { uploads } : {}),
      };
      write(item);
      changed();
      void flush();
      return item;
    },
    retry(clientId) {
      const item = read(clientId);
      if (!item) return;
      networkFailures = 0;
      networkNotBefore = 0;
      write({ ...item, status: "pending", nextAttemptAt: 0 });
      changed();
      void flush();
    },
    discard(clientId) {
      remove(clientId);
      changed();
    },
    confirm(clientId) {
      if (!read(clientId)) return;
      remove(clientId);
      changed();
    },
    clear() {
      for (const item of readAll()) remove(item.clientId);
      changed();
    },
    flush,
    reload({ graceMs = 0 } = {}) {
      changed();
      if (!flushing) schedule(graceMs);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}

/** An in-memory Storage: tests, and browsers where localStorage is disabled. */
export function createMemoryStorage(): OutboxStorage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    key: (index) => [...map.keys()][index] ?? null,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, String(value)),
    removeItem: (key) => void map.delete(key),
  };
}

// An item another tab just queued is normally being sent by that tab; take over only after this.
const OTHER_TAB_GRACE_MS = 3_000;
const SEND_TIMEOUT_MS = 10_000;

function browserStorage(): OutboxStorage {
  try {
    const storage = window.localStorage;
    storage.getItem(outboxKeyPrefix("probe"));
    return storage;
  } catch {
    // Storage blocked (privacy settings): the outbox still works, until the page is closed.
    return createMemoryStorage();
  }
}

/**
 * The outbox of the signed-in user in this browser: in localStorage, sent by one tab at a
 * time (Web Locks, where available), paused while offline, in sync with the other tabs.
 */
export function createBrowserOutbox(
  userId: string,
  options: Pick<OutboxOptions, "onSent" | "onUnauthorized" | "uploadsOf"> & Partial<Pick<OutboxOptions, "send">> = {},
): Outbox {
  const locks = typeof navigator !== "undefined" && "locks" in navigator ? navigator.locks : undefined;
  const outbox = createOutbox({
    userId,
    storage: browserStorage(),
    send: (item, attachmentIds) => createChatApi(apiFetch).sendMessage(sendInputOf(item, attachmentIds), { timeoutMs: SEND_TIMEOUT_MS }),
    ...options,
    // Secure contexts only (https, localhost); elsewhere tabs may send an item twice, which the server absorbs.
    lock: locks ? async (name, task) => void (await locks.request(name, () => task())) : undefined,
    isOnline: () => navigator.onLine !== false,
  });

  const prefix = outboxKeyPrefix(userId);
  const onStorage = (event: StorageEvent) => {
    if (event.key === null || event.key.startsWith(prefix)) outbox.reload({ graceMs: OTHER_TAB_GRACE_MS });
  };
  const onOnline = () => void outbox.flush({ resetBackoff: true });
  window.addEventListener("storage", onStorage);
  window.addEventListener("online", onOnline);

  return {
    ...outbox,
    dispose() {
      window.removeEventListener("storage", onStorage);
      window.removeEventListener("online", onOnline);
      outbox.dispose();
    },
  };
}
