import { isUnauthorized } from "@/lib/client/api";
import type { Outbox } from "@/lib/client/outbox";
import type { ChatConnection, ChatConnectionHandlers, SessionEndReason } from "@/lib/client/socket";
import type { PresenceState } from "socket-server/contract";
import type { ChatMessage, ConversationUpdate, ReadState, TypingPayload } from "@/lib/types";
import { chatReducer, createChatState, type ChatAction, type ChatState } from "./chat-state";
import type { ChatClientDeps } from "./ports";

/** What the socket tells the core, fanned out to the concerns. */
export interface CoreEvents {
  connect: () => void;
  message: (message: ChatMessage) => void;
  read: (state: ReadState) => void;
  presence: (state: PresenceState) => void;
  typing: (payload: TypingPayload) => void;
  /** After the state took it in. */
  conversationUpdated: (update: ConversationUpdate) => void;
  sessionEnded: (reason: SessionEndReason) => void;
}

/**
 * The shared heart every concern attaches to: the state (through the reducer), the events,
 * and the connection and outbox of the current run (null while stopped).
 */
export interface ChatCore {
  readonly deps: ChatClientDeps;
  getState(): ChatState;
  dispatch(action: ChatAction): void;
  /** For React: called after every change. */
  subscribe(listener: () => void): () => void;
  /** For concerns: called after every change, before React's listeners. Read getState() inside. */
  watch(listener: () => void): () => void;
  on<E extends keyof CoreEvents>(event: E, listener: CoreEvents[E]): () => void;
  emit<E extends keyof CoreEvents>(event: E, ...args: Parameters<CoreEvents[E]>): void;
  connection(): ChatConnection | null;
  outbox(): Outbox | null;
  /** Sets the connection and outbox of a run (or clears them). */
  attach(run: { connection: ChatConnection | null; outbox: Outbox } | null): void;
  /** Messages that reached us by any path: ours are done in the outbox. */
  confirmOwn(messages: ChatMessage[]): void;
  /** A 401 (or the socket said so): the user must sign in again. */
  endSession(): void;
  /** Loads the conversation list; false when it failed (the list on screen stays). */
  loadConversations(): Promise<boolean>;
  /** Socket handlers that feed the events above. */
  socketHandlers(): ChatConnectionHandlers;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong.";
}

export function createCore(deps: ChatClientDeps): ChatCore {
  let state = createChatState(deps.user.id, deps.page.isVisible(), deps.user.email);
  const listeners = new Set<() => void>();
  const watchers = new Set<() => void>();
  const handlers = new Map<keyof CoreEvents, Set<(...args: never[]) => void>>();
  let run: { connection: ChatConnection | null; outbox: Outbox } | null = null;

  const core: ChatCore = {
    deps,
    getState: () => state,
    dispatch(action) {
      const next = chatReducer(state, action);
      if (next === state) return;
      state = next;
      for (const watcher of [...watchers]) watcher();
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    watch(watcher) {
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
    on(event, listener) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(listener as (...args: never[]) => void);
      return () => void set.delete(listener as (...args: never[]) => void);
    },
    emit(event, ...args) {
      for (const listener of [...(handlers.get(event) ?? [])]) (listener as (...args: unknown[]) => void)(...args);
    },
    connection: () => run?.connection ?? null,
    outbox: () => run?.outbox ?? null,
    attach(next) {
      run = next;
    },
    confirmOwn(messages) {
      for (const message of messages) {
        if (message.senderId === deps.user.id) run?.outbox.confirm(message.clientId);
      }
    },
    endSession() {
      core.dispatch({ type: "session/ended" });
    },
    async loadConversations() {
      try {
        const conversations = await deps.api.listConversations();
        core.dispatch({ type: "conversations/loaded", conversations });
        return true;
      } catch (error) {
        if (isUnauthorized(error)) core.endSession();
        // A refresh after a reconnect may fail too; the list on screen stays and the next one retries.
        else if (!state.conversationsLoaded) core.dispatch({ type: "conversations/failed", error: describeError(error) });
        return false;
      }
    },
    socketHandlers: () => ({
      onState: (next) => core.dispatch({ type: "connection/changed", state: next }),
      onConnect: () => core.emit("connect"),
      onMessage: (message) => {
        core.dispatch({ type: "message/received", message });
        core.confirmOwn([message]);
        core.emit("message", message);
      },
      onMessageChanged: (change) => core.dispatch({ type: "message/changed", change }),
      onReadUpdated: (read) => {
        core.dispatch({ type: "read/updated", state: read });
        core.emit("read", read);
      },
      onPresence: (presence) => core.dispatch({ type: "presence/updated", state: presence }),
      onTyping: (payload) => core.emit("typing", payload),
      onConversationUpdated: (update) => {
        core.dispatch({ type: "conversation/updated", update });
        core.emit("conversationUpdated", update);
      },
      onSessionEnded: (reason) => {
        core.endSession();
        core.emit("sessionEnded", reason);
      },
      onRateLimited: (payload) => deps.warn?.(`socket event ${payload.event} rate limited; retry in ${payload.retryAfterMs} ms`),
    }),
  };
  return core;
}
