import { apiFetch, createChatApi } from "@/lib/client/api";
import { notificationSupport, requestNotifications, showNotification } from "@/lib/client/notifications";
import { createBrowserOutbox } from "@/lib/client/outbox";
import { watchResume } from "@/lib/client/resume";
import { createTokenSource } from "@/lib/client/session";
import { connectChatSocket } from "@/lib/client/socket";
import { xhrUploadTransport } from "@/lib/client/upload-transport";
import { createUploads } from "@/lib/client/uploads";
import type { AuthUser } from "@/lib/types";
import { createChatClient, type ChatClient } from "./client";
import { realClock } from "./clock";
import type { ChatApi, ChatPage, KeyValueStorage } from "./ports";

/** The same-origin JSON API, with the session cookie. */
export const browserApi: ChatApi = createChatApi(apiFetch);

/** Web Storage, or nothing where it is blocked (reads find nothing, writes throw and are caught). */
function webStorage(pick: () => Storage): KeyValueStorage {
  return {
    getItem: (key) => pick().getItem(key),
    setItem: (key, value) => pick().setItem(key, value),
    removeItem: (key) => pick().removeItem(key),
  };
}

const browserPage: ChatPage = {
  // Also asked while React renders on the server, where there is no document.
  isVisible: () => typeof document === "undefined" || document.visibilityState !== "hidden",
  onVisibilityChange(listener) {
    document.addEventListener("visibilitychange", listener);
    return () => document.removeEventListener("visibilitychange", listener);
  },
  onResume: (listener) => watchResume(listener),
  confirm: (question) => window.confirm(question),
  leave: (path) => window.location.assign(path),
  notifications: { support: notificationSupport, request: requestNotifications, show: showNotification },
};

/** What the page's server component reads from the server's env for the client (`getClientConfig`). */
export interface ClientConfig {
  /** Public URL of the Socket.IO server. */
  socketUrl: string;
  /** ATTACHMENT_MAX_BYTES. */
  attachmentMaxBytes: number;
}

/** The chat client of the signed-in user in this tab. */
export function createBrowserChatClient(user: AuthUser, { socketUrl, attachmentMaxBytes }: ClientConfig): ChatClient {
  const session = webStorage(() => window.sessionStorage);
  return createChatClient({
    user,
    attachmentMaxBytes,
    api: browserApi,
    socket(handlers) {
      const tokens = createTokenSource();
      const connection = connectChatSocket(socketUrl, tokens, handlers);
      return {
        ...connection,
        close() {
          connection.close();
          tokens.dispose();
        },
      };
    },
    outbox: (events) => createBrowserOutbox(user.id, events),
    uploads: (events) => createUploads({ userId: user.id, storage: session, api: browserApi, transport: xhrUploadTransport, ...events }),
    storage: { session, local: webStorage(() => window.localStorage) },
    clock: realClock,
    page: browserPage,
    warn: (message) => console.warn(message),
  });
}
