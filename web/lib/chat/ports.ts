import type { MessageNotification, NotificationSupport } from "@/lib/client/notifications";
import type { Outbox, OutboxOptions } from "@/lib/client/outbox";
import type { Uploads, UploadsOptions } from "@/lib/client/uploads";
import type { ResumeReason } from "@/lib/client/resume";
import type { ChatConnection, ChatConnectionHandlers } from "@/lib/client/socket";
import type { ChangesQuery, ChatApi, HistoryQuery } from "@/lib/client/api";
import type { AuthUser } from "@/lib/types";
import type { Clock } from "./clock";

/**
 * What the chat client core needs from the outside world. The browser passes fetch, Socket.IO,
 * localStorage and the document (`browser.ts`); Node tests and simulations pass their own.
 */

export type { ChangesQuery, ChatApi, HistoryQuery };

/** Opens the realtime connection with the core's handlers (e.g. `connectChatSocket`). */
export type ConnectSocket = (handlers: ChatConnectionHandlers) => ChatConnection;

/** Creates the durable outbox, wired to the core's callbacks (e.g. `createBrowserOutbox`). */
export type CreateOutbox = (events: Pick<OutboxOptions, "onSent" | "onUnauthorized" | "uploadsOf">) => Outbox;

/** Creates this tab's uploads, wired to the core's callbacks and limit (e.g. `createUploads` over XMLHttpRequest). No side effects. */
export type CreateUploads = (events: Pick<UploadsOptions, "maxBytes" | "onSettled" | "onUnauthorized">) => Uploads;

/** The slice of Web Storage the core uses. Implementations may throw (storage blocked): callers catch. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ChatStorage {
  /** Per tab (sessionStorage): drafts, peers opened here. */
  session: KeyValueStorage;
  /** Per browser (localStorage): preferences. */
  local: KeyValueStorage;
}

export interface NotificationPort {
  support(): NotificationSupport;
  /** The permission prompt (from a click only). */
  request(): Promise<NotificationSupport>;
  show(notification: MessageNotification): boolean;
}

/** The page the client lives in. */
export interface ChatPage {
  isVisible(): boolean;
  onVisibilityChange(listener: () => void): () => void;
  /** Online again, shown again after a while hidden, woke from sleep (see `watchResume`). */
  onResume(listener: (reason: ResumeReason) => void): () => void;
  /** A yes/no question to the user (sign out with unsent messages). */
  confirm(question: string): boolean;
  /** A full navigation away (to the sign-in page), dropping all state in memory. */
  leave(path: string): void;
  notifications: NotificationPort;
}

export interface ChatClientDeps {
  user: AuthUser;
  api: ChatApi;
  socket: ConnectSocket;
  outbox: CreateOutbox;
  /** Attachments; without it the client sends text only. */
  uploads?: CreateUploads;
  /**
   * The server's ATTACHMENT_MAX_BYTES (the page gets it from the env module): larger files are
   * turned away before any upload. Default ATTACHMENT_MAX_BYTES_DEFAULT, the server's default.
   */
  attachmentMaxBytes?: number;
  storage: ChatStorage;
  clock: Clock;
  page: ChatPage;
  /** Warnings worth a log line (a rate-limited socket event). */
  warn?(message: string): void;
}
