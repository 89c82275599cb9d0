"use client";

import type { AuthUser } from "@/lib/types";
import { Avatar } from "./avatar";
import { Composer } from "./composer";
import { ConnectionStatus } from "./connection-status";
import { ConversationList } from "./conversation-list";
import { displayName } from "./format";
import { MessageList } from "./message-list";
import { useChat } from "./use-chat";
import { UserSearch } from "./user-search";

interface ChatAppProps {
  user: AuthUser;
  /** Public URL of the Socket.IO server. */
  socketUrl: string;
}

/** The whole chat screen: conversation list on the left, the open conversation on the right. */
export function ChatApp({ user, socketUrl }: ChatAppProps) {
  const chat = useChat(user, socketUrl);
  const { state } = chat;
  const view = state.view;
  const pending = view ? state.outbox.filter((item) => item.recipientId === view.peer.id) : [];

  return (
    <div className="chat-shell" data-view={view ? "conversation" : "list"}>
      <header className="app-bar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Chat
        </div>
        <ConnectionStatus state={chat.connection} />
        <div className="app-bar-user">
          <span className="app-bar-email" data-testid="current-user">
            {user.email}
          </span>
          <button type="button" className="button button-quiet" data-testid="sign-out" onClick={() => void chat.signOut()}>
            Sign out
          </button>
        </div>
      </header>

      {chat.sessionEnded ? (
        <div className="banner banner-error" role="alert">
          Your session has ended. <a href="/login">Sign in again</a>
        </div>
      ) : null}
      {chat.notice ? (
        <div className="banner" role="status">
          {chat.notice}
          <button type="button" className="link-button" onClick={chat.dismissNotice}>
            Dismiss
          </button>
        </div>
      ) : null}

      <div className="chat-body">
        <aside className="sidebar" aria-label="Conversations and people">
          <UserSearch onSelect={(peer) => void chat.openConversation(peer)}>
            <ConversationList
              me={user.id}
              conversations={state.conversations}
              loaded={state.conversationsLoaded}
              activePeerId={view?.peer.id ?? null}
              unread={state.unread}
              onOpen={(conversation) => void chat.openConversation(conversation.peer)}
            />
          </UserSearch>
        </aside>

        <main className="conversation-pane">
          {view ? (
            <>
              <header className="conversation-header" data-testid="conversation-header" data-peer-id={view.peer.id}>
                <button type="button" className="button button-quiet back-button" onClick={chat.closeConversation}>
                  <span aria-hidden="true">←</span>
                  <span className="sr-only">Back to conversations</span>
                </button>
                <Avatar user={view.peer} />
                <div className="conversation-title">
                  <h1>{displayName(view.peer)}</h1>
                  {view.peer.displayName ? <p>{view.peer.email}</p> : null}
                </div>
              </header>
              {/* Keyed by peer: scroll position and draft belong to one conversation. */}
              <MessageList
                key={`list-${view.peer.id}`}
                me={user.id}
                peer={view.peer}
                messages={view.messages}
                pending={pending}
                hasOlder={view.hasOlder}
                loading={view.loading}
                error={view.error}
                onLoadOlder={() => void chat.loadOlder()}
                onRetry={chat.retryMessage}
                onDiscard={chat.discardMessage}
              />
              <Composer key={`composer-${view.peer.id}`} recipientName={displayName(view.peer)} onSend={chat.sendMessage} />
            </>
          ) : (
            <div className="conversation-empty">
              <h1>Your messages</h1>
              <p>Pick a conversation, or search for someone by email to start one.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
