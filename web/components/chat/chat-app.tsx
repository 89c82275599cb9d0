"use client";

import { useEffect, useRef } from "react";
import type { AuthUser } from "@/lib/types";
import { Avatar } from "./avatar";
import { conversationWith, documentTitle, seenMessageId, totalUnread } from "@/lib/chat/chat-state";
import { Composer } from "./composer";
import { ConnectionStatus } from "./connection-status";
import { ConversationList } from "./conversation-list";
import { displayName } from "./format";
import { MessageList } from "./message-list";
import { PresenceText } from "./presence";
import { ProfileMenu } from "./profile-menu";
import { TypingIndicator } from "./typing-indicator";
import { useChat } from "./use-chat";
import { useConversationUrl } from "./use-conversation-url";
import { UserSearch } from "./user-search";

interface ChatAppProps {
  user: AuthUser;
  /** Public URL of the Socket.IO server. */
  socketUrl: string;
}

/**
 * The whole chat screen: conversation list on the left, the open conversation on the right.
 * On a phone (CSS, under 720 px) one of the two at a time, with a back button.
 */
export function ChatApp({ user, socketUrl }: ChatAppProps) {
  const { state, client: chat } = useChat(user, socketUrl);
  const view = state.view;
  const route = state.route;
  const { back } = useConversationUrl(chat, view?.peer.id ?? route?.peerId ?? null);
  const pending = view ? state.outbox.filter((item) => item.recipientId === view.peer.id) : [];
  const searchRef = useRef<HTMLInputElement>(null);
  const unread = totalUnread(state);

  useEffect(() => {
    document.title = documentTitle(unread);
  }, [unread]);

  const conversation = view ? conversationWith(state, view.peer.id) : undefined;
  const peer = view ? (conversation?.peer ?? view.peer) : null;
  const seenId = view ? seenMessageId(view.messages, user.id, conversation?.peerLastReadSeq ?? 0) : null;
  const peerTyping = view ? state.typing.includes(view.peer.id) : false;

  return (
    <div className="chat-shell" data-view={view || route ? "conversation" : "list"}>
      <header className="app-bar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Chat
        </div>
        <ConnectionStatus state={state.connection} />
        <div className="app-bar-user">
          <ProfileMenu
            profile={state.profile}
            notifications={state.notifications}
            onSaveName={chat.updateDisplayName}
            onNotifications={chat.setNotificationsEnabled}
            onSignOut={() => void chat.signOut()}
          />
        </div>
      </header>

      {state.sessionEnded ? (
        <div className="banner banner-error" role="alert">
          Your session has ended. <a href="/login">Sign in again</a>
        </div>
      ) : null}
      {state.notice ? (
        <div className="banner" role="status">
          {state.notice}
          <button type="button" className="link-button" onClick={chat.dismissNotice}>
            Dismiss
          </button>
        </div>
      ) : null}

      <div className="chat-body">
        <aside className="sidebar" aria-label="Conversations and people">
          <UserSearch inputRef={searchRef} onSelect={(found) => void chat.openConversation(found)}>
            <ConversationList
              me={user.id}
              conversations={state.conversations}
              loaded={state.conversationsLoaded}
              error={state.conversationsError}
              activePeerId={view?.peer.id ?? null}
              presence={state.presence}
              typing={state.typing}
              onOpen={(item) => void chat.openConversation(item.peer)}
              onRetry={chat.retryConversations}
              onFindPeople={() => searchRef.current?.focus()}
            />
          </UserSearch>
        </aside>

        <main className="conversation-pane">
          {view && peer ? (
            <>
              <header className="conversation-header" data-testid="conversation-header" data-peer-id={peer.id}>
                <button type="button" className="icon-button back-button" data-testid="back-button" onClick={back}>
                  <svg viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
                    <path
                      d="M12.5 4.5L7 10l5.5 5.5"
                      stroke="currentColor"
                      strokeWidth="2"
                      fill="none"
                      strokeLinecap="round"
                      strokeLinejoin="round"
                    />
                  </svg>
                  <span className="sr-only">Back to conversations</span>
                </button>
                <Avatar user={peer} online={state.presence[peer.id]?.online ?? false} />
                <div className="conversation-title">
                  <h1>{displayName(peer)}</h1>
                  <p className="conversation-subtitle">
                    <PresenceText presence={state.presence[peer.id]} />
                    <span className="conversation-email">{peer.email}</span>
                  </p>
                </div>
              </header>
              <div className="conversation-body">
                {/* Keyed by peer: scroll position belongs to one conversation. */}
                <MessageList
                  key={`list-${peer.id}`}
                  me={user.id}
                  peer={peer}
                  messages={view.messages}
                  pending={pending}
                  hasOlder={view.hasOlder}
                  loading={view.loading}
                  error={view.error}
                  seenId={seenId}
                  onLoadOlder={() => void chat.loadOlder()}
                  onReload={chat.retryHistory}
                  onRetry={chat.retryMessage}
                  onDiscard={chat.discardMessage}
                />
                <TypingIndicator name={peerTyping ? displayName(peer) : null} />
              </div>
              <Composer
                key={`composer-${peer.id}`}
                recipientName={displayName(peer)}
                initialDraft={chat.draftFor(peer.id)}
                onSend={(content) => chat.sendMessage(content)}
                onDraftChange={chat.changeDraft}
                onBlur={chat.stopTyping}
              />
            </>
          ) : route ? (
            <div
              className="conversation-empty"
              data-testid={route.status === "missing" ? "conversation-not-found" : "conversation-resolving"}
            >
              <span className="empty-illustration empty-illustration-lg" aria-hidden="true" />
              {route.status === "missing" ? (
                <>
                  <h1>No conversation here</h1>
                  <p>This link is not one of your conversations, or the address is wrong. Find the person by email to write to them.</p>
                  <button type="button" className="button" data-testid="not-found-back" onClick={back}>
                    Back to your conversations
                  </button>
                </>
              ) : (
                <p role="status">Opening the conversation…</p>
              )}
            </div>
          ) : (
            <div className="conversation-empty" data-testid="no-conversation">
              <span className="empty-illustration empty-illustration-lg" aria-hidden="true" />
              <h1>Your messages</h1>
              <p>Pick a conversation on the left, or find someone by email to start a new one.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
