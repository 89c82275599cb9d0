import type { PresenceState } from "socket-server/contract";
import type { ConversationSummary } from "@/lib/types";
import { Avatar } from "./avatar";
import { displayName, formatListTime } from "./format";
import { presenceLabel, useNow } from "./presence";

interface ConversationListProps {
  me: string;
  conversations: ConversationSummary[];
  loaded: boolean;
  error: string | null;
  activePeerId: string | null;
  presence: Record<string, PresenceState>;
  typing: string[];
  onOpen(conversation: ConversationSummary): void;
  onRetry(): void;
  /** Moves focus to the people search (the empty state's call to action). */
  onFindPeople(): void;
}

const SKELETON_ROWS = 5;

export function ConversationList(props: ConversationListProps) {
  const { me, conversations, loaded, error, activePeerId, presence, typing, onOpen, onRetry, onFindPeople } = props;
  const now = useNow();

  if (!loaded && error) {
    return (
      <div className="sidebar-state" role="alert" data-testid="conversations-error">
        <p className="sidebar-state-title">Could not load your conversations</p>
        <p className="muted">{error}</p>
        <button type="button" className="button" onClick={onRetry} data-testid="conversations-retry">
          Try again
        </button>
      </div>
    );
  }
  if (!loaded) {
    return (
      <div
        className="conversation-list"
        aria-busy="true"
        aria-label="Loading conversations"
        role="status"
        data-testid="conversations-loading"
      >
        {Array.from({ length: SKELETON_ROWS }, (_, index) => (
          <div key={index} className="conversation-item skeleton-row" aria-hidden="true">
            <span className="skeleton skeleton-avatar" />
            <span className="conversation-text">
              <span className="skeleton skeleton-line" style={{ width: `${55 - index * 5}%` }} />
              <span className="skeleton skeleton-line skeleton-line-sm" style={{ width: `${80 - index * 7}%` }} />
            </span>
          </div>
        ))}
      </div>
    );
  }
  if (conversations.length === 0) {
    return (
      <div className="sidebar-state" data-testid="conversations-empty">
        <span className="empty-illustration" aria-hidden="true" />
        <p className="sidebar-state-title">No conversations yet</p>
        <p className="muted">Start one by searching for someone by their email address. They need to have signed in once.</p>
        <button type="button" className="button button-primary" onClick={onFindPeople}>
          Find people
        </button>
      </div>
    );
  }
  return (
    <nav aria-label="Conversations" className="conversation-nav">
      <ul className="conversation-list">
        {conversations.map((conversation) => {
          const { peer, lastMessage, unreadCount } = conversation;
          const online = presence[peer.id]?.online ?? false;
          const seen = presenceLabel(presence[peer.id], now);
          const isTyping = typing.includes(peer.id);
          const name = displayName(peer);
          return (
            <li key={conversation.id}>
              <button
                type="button"
                className="conversation-item"
                data-testid="conversation-item"
                data-peer-id={peer.id}
                data-peer-email={peer.email}
                data-unread={unreadCount > 0 || undefined}
                aria-current={peer.id === activePeerId ? "true" : undefined}
                onClick={() => onOpen(conversation)}
              >
                <Avatar user={peer} online={online} title={seen ?? undefined} />
                <span className="conversation-text">
                  <span className="conversation-top">
                    <span className="conversation-name" title={peer.email} data-testid="conversation-name">
                      {name}
                    </span>
                    <time className="conversation-time" dateTime={conversation.lastMessageAt}>
                      {formatListTime(conversation.lastMessageAt)}
                    </time>
                  </span>
                  <span className="conversation-bottom">
                    {isTyping ? (
                      <span className="conversation-preview typing-hint" data-testid="typing-hint">
                        typing…
                      </span>
                    ) : (
                      <span className="conversation-preview" data-testid="conversation-preview">
                        {lastMessage.senderId === me ? "You: " : ""}
                        {lastMessage.content}
                      </span>
                    )}
                    {unreadCount > 0 ? (
                      <span className="unread-badge" data-testid="unread-count" aria-hidden="true">
                        {unreadCount > 99 ? "99+" : unreadCount}
                      </span>
                    ) : null}
                  </span>
                </span>
                <span className="sr-only" data-testid="conversation-presence">
                  {seen ? `, ${seen.toLowerCase()}` : ""}
                  {unreadCount > 0 ? `, ${unreadCount} unread ${unreadCount === 1 ? "message" : "messages"}` : ""}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
