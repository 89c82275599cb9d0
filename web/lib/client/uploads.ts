import type { Attachment } from "@/lib/types";
import { ApiError, type ChatApi, type UploadDestination } from "./api";
import { createClientId } from "./client-id";
import { isAbortError, type UploadTransport } from "./upload-transport";

export type { UploadDestination };

/**
 * One file on its way to the server: asked for a target, PUT, completed. It belongs to a
 * composer (`key`, the conversation's draft key) until its message is sent (`clientId`).
 */
export interface UploadItem {
  id: string;
  key: string;
  destination: UploadDestination;
  /** The outbox message it was sent with; null while it waits in the composer. */
  clientId: string | null;
  name: string;
  size: number;
  /** The browser's guess, for display and the request; the server sniffs the real type. */
  type: string;
  /**
   * `uploading`: asking, sending or completing; `done`: a ready attachment; `failed`: see `error`
   * (retry); `cancelled`: dropped from its message (a sent message leaves it out).
   */
  status: "uploading" | "done" | "failed" | "cancelled";
  /** Bytes sent so far (memory only). */
  loaded: number;
  /** The server's pending attachment, once asked (a retry asks again unless only `complete` is left). */
  attachmentId: string | null;
  /** The bytes reached storage; only `complete` is left. */
  stored: boolean;
  attachment: Attachment | null;
  error: { code: string; message: string } | null;
  /** The page was reloaded before it finished: the bytes are gone, retrying needs the file chosen again. */
  fileGone: boolean;
}

/** Whether a message's uploads let it go: all done (the ids to send), some still going, or one failed. */
export type UploadReadiness = { state: "ready"; attachmentIds: string[] } | { state: "waiting" } | { state: "blocked" };

export interface UploadsOptions {
  userId: string;
  /** Per tab (sessionStorage): a reload finds its uploads, other tabs do not (the files are this tab's). */
  storage: Pick<Storage, "getItem" | "setItem">;
  api: Pick<ChatApi, "createAttachment" | "completeAttachment">;
  transport: UploadTransport;
  /** The server's ATTACHMENT_MAX_BYTES: checked here too so an oversize file fails at once (the server enforces). */
  maxBytes: number;
  /** An upload finished, failed or was cancelled: a message waiting for it may go now. */
  onSettled?(): void;
  onUnauthorized?(): void;
}

export interface Uploads {
  /** Every upload of this tab, oldest first. The same array until something changes. */
  items(): UploadItem[];
  subscribe(listener: (items: UploadItem[]) => void): () => void;
  /** Starts uploading `file` for the composer `key`. */
  add(key: string, destination: UploadDestination, file: File): UploadItem;
  /** Stops an upload: one in a composer goes away; one of a sent message is left out of it. */
  cancel(id: string): void;
  /** Tries a failed upload again; `file` replaces one that is gone (chosen again after a reload). */
  retry(id: string, file?: File): void;
  /** The composer's uploads went with a message. */
  assign(ids: string[], clientId: string): void;
  readiness(ids: string[]): UploadReadiness;
  /** Forgets the uploads of messages no longer waiting (sent or discarded). */
  prune(waitingClientIds: ReadonlySet<string>): void;
  /** Drops a composer upload or a message's uploads from the list (nothing is left to show). */
  remove(ids: string[]): void;
  /** Uploads of an earlier page of this tab that were not done are failed now: their bytes went with the page. */
  restore(): void;
}

/** Storage key of one user's uploads in this tab. */
export function uploadsKey(userId: string): string {
  return `chat:uploads:v1:${userId}`;
}

/** What the UI says for a failed upload's server code. */
export function describeUploadError(error: { code: string; message: string }): string {
  switch (error.code) {
    case "attachment_too_large":
      return "Too large to send.";
    case "quota_exceeded":
      return "Your storage quota is full.";
    case "too_many_attachments":
      return "Too many files for one message.";
    case "rate_limited":
      return "Too many uploads right now; try again in a moment.";
    case "file_gone":
      return "The file was lost when the page reloaded: choose it again.";
    case "network_error":
    case "timeout":
      return "Could not reach the server.";
    default:
      return error.message;
  }
}

function parseItems(raw: string | null): UploadItem[] {
  if (!raw) return [];
  try {
    const value = JSON.parse(raw) as unknown;
    return Array.isArray(value) ? (value as UploadItem[]).filter((item) => typeof item?.id === "string") : [];
  } catch {
    return [];
  }
}

/**
 * The uploads of one tab: each file is asked for a target (`POST /api/chat/attachments`), PUT
 * there with progress, then completed (`POST …/ID/complete`). Records live in per-tab storage
 * so a reload shows what was going on; the bytes live in memory only.
 */
export function createUploads(options: UploadsOptions): Uploads {
  const { storage, api, transport, maxBytes, onSettled, onUnauthorized } = options;
  const key = uploadsKey(options.userId);
  const files = new Map<string, File>();
  const running = new Map<string, AbortController>();
  const listeners = new Set<(items: UploadItem[]) => void>();
  let items: UploadItem[] = parseItems(safeRead());

  function safeRead(): string | null {
    try {
      return storage.getItem(key);
    } catch {
      return null;
    }
  }

  function commit(next: UploadItem[], persist = true): void {
    items = next;
    if (persist) {
      try {
        // Progress is not worth a write: a reload restarts anything unfinished anyway.
        storage.setItem(key, JSON.stringify(items.map((item) => ({ ...item, loaded: 0 }))));
      } catch {
        // Storage blocked or full: the uploads still work, just not across a reload.
      }
    }
    for (const listener of [...listeners]) listener(items);
  }

  const find = (id: string) => items.find((item) => item.id === id);

  function patch(id: string, change: Partial<UploadItem>, persist = true): void {
    if (!find(id)) return;
    commit(
      items.map((item) => (item.id === id ? { ...item, ...change } : item)),
      persist,
    );
  }

  function fail(id: string, error: unknown): void {
    running.delete(id);
    if (error instanceof ApiError && error.status === 401) onUnauthorized?.();
    const failure =
      error instanceof ApiError
        ? { code: error.code, message: error.message }
        : { code: "upload_failed", message: error instanceof Error ? error.message : "Upload failed." };
    patch(id, { status: "failed", error: failure });
    onSettled?.();
  }

  async function run(id: string): Promise<void> {
    const item = find(id);
    const file = files.get(id);
    // Without the file only `complete` can be done (the bytes are stored).
    if (!item || (!file && !item.stored)) return;
    running.get(id)?.abort();
    const controller = new AbortController();
    running.set(id, controller);
    const { signal } = controller;
    try {
      let attachmentId = item.stored ? item.attachmentId : null;
      if (!attachmentId && file) {
        const target = await api.createAttachment({ ...item.destination, name: item.name, contentType: item.type, size: item.size });
        if (signal.aborted) return;
        attachmentId = target.attachment.id;
        patch(id, { attachmentId, stored: false });
        let shown = 0;
        await transport({
          upload: target.upload,
          body: file,
          signal,
          onProgress: (loaded) => {
            // One render per percent is plenty.
            if (loaded - shown < item.size / 100 && loaded < item.size) return;
            shown = loaded;
            if (!signal.aborted) patch(id, { loaded }, false);
          },
        });
        if (signal.aborted) return;
        patch(id, { stored: true, loaded: item.size });
      }
      if (!attachmentId) return;
      const attachment = await api.completeAttachment(attachmentId);
      if (signal.aborted) return;
      running.delete(id);
      // The bytes are the server's now; a retry never needs them again.
      files.delete(id);
      patch(id, { status: "done", attachment, error: null, loaded: item.size });
      onSettled?.();
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return;
      fail(id, error);
    }
  }

  function start(id: string): void {
    const item = find(id);
    if (!item) return;
    if (item.size > maxBytes) {
      patch(id, {
        status: "failed",
        error: { code: "attachment_too_large", message: `A file may be at most ${maxBytes} bytes.` },
      });
      return;
    }
    patch(id, { status: "uploading", error: null, loaded: 0 });
    void run(id);
  }

  return {
    items: () => items,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    add(itemKey, destination, file) {
      const item: UploadItem = {
        id: createClientId(),
        key: itemKey,
        destination,
        clientId: null,
        name: file.name || "file",
        size: file.size,
        type: file.type || "application/octet-stream",
        status: "uploading",
        loaded: 0,
        attachmentId: null,
        stored: false,
        attachment: null,
        error: null,
        fileGone: false,
      };
      files.set(item.id, file);
      commit([...items, item]);
      start(item.id);
      return find(item.id) ?? item;
    },
    cancel(id) {
      const item = find(id);
      if (!item) return;
      running.get(id)?.abort();
      running.delete(id);
      files.delete(id);
      if (item.clientId === null) commit(items.filter((entry) => entry.id !== id));
      else patch(id, { status: "cancelled" });
      onSettled?.();
    },
    retry(id, file) {
      const item = find(id);
      if (!item || item.status === "done" || item.status === "cancelled") return;
      if (file) {
        files.set(id, file);
        // Another file (or the same one chosen again): ask for a new target.
        patch(id, { name: file.name || item.name, size: file.size, type: file.type || item.type, stored: false, fileGone: false });
      } else if (!files.has(id) && !item.stored) {
        patch(id, { status: "failed", fileGone: true, error: { code: "file_gone", message: "The file is no longer available." } });
        return;
      }
      start(id);
    },
    assign(ids, clientId) {
      const chosen = new Set(ids);
      commit(items.map((item) => (chosen.has(item.id) ? { ...item, clientId } : item)));
    },
    readiness(ids) {
      const attachmentIds: string[] = [];
      let waiting = false;
      for (const id of ids) {
        const item = find(id);
        // Another tab's (or lost): this tab cannot send the message.
        if (!item || item.status === "failed") return { state: "blocked" };
        if (item.status === "cancelled") continue;
        if (item.status === "uploading") waiting = true;
        else if (item.attachment) attachmentIds.push(item.attachment.id);
      }
      return waiting ? { state: "waiting" } : { state: "ready", attachmentIds };
    },
    prune(waiting) {
      const next = items.filter((item) => item.clientId === null || waiting.has(item.clientId));
      if (next.length === items.length) return;
      for (const item of items) {
        if (next.includes(item)) continue;
        running.get(item.id)?.abort();
        running.delete(item.id);
        files.delete(item.id);
      }
      commit(next);
    },
    remove(ids) {
      const dropped = new Set(ids);
      for (const id of ids) {
        running.get(id)?.abort();
        running.delete(id);
        files.delete(id);
      }
      commit(items.filter((item) => !dropped.has(item.id)));
    },
    restore() {
      const orphans = items.filter((item) => item.status === "uploading" && !running.has(item.id));
      if (orphans.length === 0) return;
      const lost = new Set(orphans.map((item) => item.id));
      commit(
        items.map((item) => {
          if (!lost.has(item.id)) return item;
          // Stored bytes need only `complete`: that needs no file, so it resumes.
          if (item.stored) return item;
          return {
            ...item,
            status: "failed" as const,
            fileGone: true,
            error: { code: "file_gone", message: "The page was reloaded before this file finished uploading." },
          };
        }),
      );
      for (const item of orphans) if (item.stored) void run(item.id);
    },
  };
}
