import type { Outbox } from "@/lib/client/outbox";
import type { ChatConnection } from "@/lib/client/socket";
import { createCatchUp } from "./catch-up";
import { targetKey, targetOf, type ChatState, type ConversationTarget } from "./chat-state";
import { createConversations } from "./conversations";
import { createCore } from "./core";
import { createDrafts } from "./drafts";
import type { ChatMessage, ConversationDetail, UserProfile } from "@/lib/types";
import { createAttachments, type AttachResult } from "./attachments";
import { createGroups } from "./groups";
import { createMessageActions } from "./lifecycle";
import { createNotifications } from "./notifications";
import type { ChatClientDeps } from "./ports";
import { createPositionCheck } from "./position-check";
import { createPresence } from "./presence";
import { createReadReceipts } from "./read-receipts";
import { createSignOut } from "./sign-out";
import { createTyping } from "./typing";

export type { AttachResult, ChatState, ConversationTarget };

/** The chat of one signed-in user, without React: state, subscribe, and the actions. */
export interface ChatClient {
  getState(): ChatState;
  /** Called after every state change (useSyncExternalStore's subscribe). */
  subscribe(listener: () => void): () => void;
  /**
   * Connects (socket, outbox, timers, page events) and loads the list; returns the stop
   * function. May be started again after stopping (React's strict mode does so); the state
   * survives.
   */
  start(): () => void;

  /** Opens the direct conversation with `peer` (a new one when none exists yet). */
  openConversation(peer: UserProfile): Promise<void>;
  /** Opens a listed conversation, group or direct, by its id. */
  openConversationById(conversationId: string): Promise<void>;
  /** What a URL asks for: a direct conversation by its peer, a group by its id (see `state.route`), or the list (null). */
  showConversation(target: ConversationTarget | null): void;
  closeConversation(): void;
  loadOlder(): Promise<void>;
  retryHistory(): void;
  retryConversations(): void;
  /**
   * Queues the message in the durable outbox, which sends it (and retries) with one clientId; a
   * reply to `view.replyingTo`; with the composer's files, once their uploads are done (`content` may be "" then).
   */
  sendMessage(content: string): void;
  /** Uploads files for the open conversation's next message; what the limits turn away is listed, with why. */
  attachFiles(files: File[]): AttachResult;
  /** Stops an upload: gone from the composer, or left out of its message (a message left empty is discarded). */
  cancelUpload(uploadId: string): void;
  /** Uploads a failed file again; `file`: the same file chosen again when the page lost it (a reload). */
  retryUpload(uploadId: string, file?: File): void;
  /**
   * My message's new text, my message deleted (a tombstone stays), a reaction added, removed or
   * toggled: each answers the message as it is now (the state takes it), or throws the API's error.
   */
  editMessage(messageId: string, content: string): Promise<ChatMessage>;
  deleteMessage(messageId: string): Promise<ChatMessage>;
  react(messageId: string, emoji: string): Promise<ChatMessage>;
  unreact(messageId: string, emoji: string): Promise<ChatMessage>;
  toggleReaction(messageId: string, emoji: string): Promise<ChatMessage>;
  /** The next message sent in the open conversation replies to this one (null: to none). */
  replyTo(messageId: string | null): void;
  /**
   * Groups (each throws the API's error for the UI to show; the state takes the answer):
   * create one with me as owner (and open it), rename it, add members (owners), remove a member
   * (owners; removing myself is leaving), leave it (it leaves the list; an open view closes).
   */
  createGroup(input: { name: string; memberIds: string[] }): Promise<ConversationDetail>;
  renameGroup(conversationId: string, name: string): Promise<ConversationDetail>;
  addMembers(conversationId: string, userIds: string[]): Promise<ConversationDetail>;
  removeMember(conversationId: string, userId: string): Promise<ConversationDetail | null>;
  leaveGroup(conversationId: string): Promise<void>;
  retryMessage(clientId: string): void;
  discardMessage(clientId: string): void;
  /** The open conversation's draft changed: kept per conversation, and tells the peer (or the group) we type. */
  changeDraft(text: string): void;
  /** A conversation's draft, by `targetKey` (a direct one: the peer's id). */
  draftFor(key: string): string;
  stopTyping(): void;
  updateDisplayName(name: string): Promise<UserProfile>;
  setNotificationsEnabled(enabled: boolean): Promise<void>;
  dismissNotice(): void;
  signOut(): Promise<void>;

  /** Fetches the list and everything the open conversation misses, and sends what waits; true when both loads worked. */
  resync(): Promise<boolean>;
  /** The connection and outbox while started (tests and simulations poke at them). */
  connection(): ChatConnection | null;
  outbox(): Outbox | null;
}

/**
 * Creates the client core. Nothing happens until `start()`: creating it has no side effects,
 * so React may create one during render.
 */
export function createChatClient(deps: ChatClientDeps): ChatClient {
  const core = createCore(deps);
  const catchUp = createCatchUp(core);
  const typing = createTyping(core);
  const drafts = createDrafts(core);
  const conversations = createConversations(core, catchUp, { beforeSwitch: () => typing.stop() });
  const groups = createGroups(core, conversations);
  const messageActions = createMessageActions(core);
  const notifications = createNotifications(core, (conversationId) => void conversations.openById(conversationId));
  const attachments = createAttachments(core);
  const signOut = createSignOut(core, () => {
    conversations.forget();
    drafts.clearAll();
  });
  const concerns = [
    catchUp,
    conversations,
    groups,
    typing,
    createReadReceipts(core),
    createPresence(core),
    notifications,
    createPositionCheck(core, catchUp),
    signOut,
    attachments,
  ];
  let stop: (() => void) | null = null;

  function start(): () => void {
    if (stop) return stop;
    const outbox = deps.outbox({
      onSent: (message) => core.dispatch({ type: "message/received", message }),
      onUnauthorized: () => core.endSession(),
      uploadsOf: attachments.readiness,
    });
    const unsubscribeOutbox = outbox.subscribe((items) => core.dispatch({ type: "outbox/synced", items }));
    core.dispatch({ type: "outbox/synced", items: outbox.items() });
    // Concerns listen before the socket can say anything.
    core.attach({ connection: null, outbox });
    const stops = concerns.map((concern) => concern.start());
    const connection = deps.socket(core.socketHandlers());
    core.attach({ connection, outbox });
    // What an earlier page (or a reload while offline) left behind goes out now.
    void outbox.flush();

    const onVisibility = () => core.dispatch({ type: "visibility/changed", visible: deps.page.isVisible() });
    const stopVisibility = deps.page.onVisibilityChange(onVisibility);
    onVisibility();

    void core.loadConversations();
    deps.api.getProfile().then(
      (profile) => core.dispatch({ type: "profile/loaded", profile }),
      () => {
        // The email stands in until a later load works.
      },
    );

    const current = () => {
      if (stop !== current) return;
      stop = null;
      stopVisibility();
      for (const concernStop of stops.reverse()) concernStop();
      core.attach(null);
      connection.close();
      unsubscribeOutbox();
      outbox.dispose();
    };
    stop = current;
    return current;
  }

  return {
    getState: core.getState,
    subscribe: core.subscribe,
    start,
    openConversation: conversations.open,
    openConversationById: conversations.openById,
    showConversation: conversations.show,
    closeConversation: conversations.close,
    loadOlder: conversations.loadOlder,
    retryHistory: conversations.retry,
    retryConversations: () => void core.loadConversations(),
    sendMessage(content) {
      const view = core.getState().view;
      if (!view || view.removed) return;
      const target = targetOf(view);
      const uploads = attachments.staged(view);
      if (!content && uploads.length === 0) return;
      typing.stop();
      drafts.set(targetKey(target), "");
      const reply = view.replyingTo ? { replyToId: view.replyingTo } : {};
      core.dispatch({ type: "reply/changed", messageId: null });
      // A direct message goes to the peer (the 1:1 form, which also creates the conversation).
      const item = core
        .outbox()
        ?.add(
          target.kind === "group"
            ? { conversationId: target.conversationId, content, uploads, ...reply }
            : { recipientId: target.peerId, content, uploads, ...reply },
        );
      if (item) attachments.assign(uploads, item.clientId);
    },
    attachFiles: attachments.attach,
    cancelUpload: attachments.cancel,
    retryUpload: attachments.retry,
    editMessage: messageActions.edit,
    deleteMessage: messageActions.delete,
    react: messageActions.react,
    unreact: messageActions.unreact,
    toggleReaction: messageActions.toggleReaction,
    replyTo: (messageId) => core.dispatch({ type: "reply/changed", messageId }),
    createGroup: groups.create,
    renameGroup: groups.rename,
    addMembers: groups.addMembers,
    removeMember: groups.removeMember,
    leaveGroup: groups.leave,
    retryMessage: (clientId) => core.outbox()?.retry(clientId),
    discardMessage: (clientId) => core.outbox()?.discard(clientId),
    changeDraft(text) {
      const view = core.getState().view;
      if (!view || view.removed) return;
      const target = targetOf(view);
      drafts.set(targetKey(target), text);
      typing.input(target, text);
    },
    draftFor: drafts.get,
    stopTyping: typing.stop,
    async updateDisplayName(name) {
      const profile = await deps.api.updateProfile({ displayName: name.trim() || null });
      core.dispatch({ type: "profile/loaded", profile });
      return profile;
    },
    setNotificationsEnabled: notifications.setEnabled,
    dismissNotice: () => core.dispatch({ type: "notice/changed", notice: null }),
    signOut: signOut.signOut,
    resync: catchUp.resync,
    connection: core.connection,
    outbox: core.outbox,
  };
}
