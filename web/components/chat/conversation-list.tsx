import type { ConversationSummary } from "@/lib/types";
import { Avatar } from "./avatar";
import { displayName, formatListTime } from "./format";

interface ConversationListProps {
  me: string;
  conversations: ConversationSummary[];
  loaded: boolean;
  activePeerId: string | null;
  unread: string[];
  onOpen(conversation: ConversationSummary): void;
}

export function ConversationList({ me, conversations, loaded, activePeerId, unread, onOpen }: ConversationListProps) {
  if (!loaded) return <p className="sidebar-empty">Loading conversations…</p>;
  if (conversations.length === 0) {
    return <p className="sidebar-empty">No conversations yet. Search for someone by email to start one.</p>;
  }
  return (
    <nav aria-label="Conversations">
      <ul className="conversation-list">
        {conversations.map((conversation) => {
          const { peer, lastMessage } = conversation;
          const isUnread = unread.includes(conversation.id);
          return (
            <li key={conversation.id}>
              <button
                type="button"
                className="conversation-item"
                data-testid="conversation-item"
                data-peer-id={peer.id}
                data-peer-email={peer.email}
                data-unread={isUnread || undefined}
                aria-current={peer.id === activePeerId ? "true" : undefined}
                onClick={() => onOpen(conversation)}
              >
                <Avatar user={peer} />
                <span className="conversation-text">
                  <span className="conversation-top">
                    <span className="conversation-name">{displayName(peer)}</span>
                    <time className="conversation-time" dateTime={conversation.lastMessageAt}>
                      {formatListTime(conversation.lastMessageAt)}
                    </time>
                  </span>
                  <span className="conversation-preview" data-testid="conversation-preview">
                    {lastMessage.senderId === me ? "You: " : ""}
                    {lastMessage.content}
                  </span>
                </span>
                {isUnread ? <span className="unread-dot" role="img" aria-label="New messages" /> : null}
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
