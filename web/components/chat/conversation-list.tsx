import type { ComponentProps } from "react";
import type { PresenceState } from "socket-server/contract";
import { previewText } from "@/lib/chat/attachment-format";
import type { ConversationSummary } from "@/lib/chat/chat-state";
import type { UserProfile } from "@/lib/types";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/lib/utils";
import { UserAvatar } from "./avatar";
import { EmptyIllustration } from "./empty-illustration";
import { conversationTitle, describeSystemMessage, formatListTime, nameOf } from "./format";
import { GroupAvatar } from "./group-avatar";
import { presenceLabel, useNow } from "./presence";
import { typingLine } from "./typing-indicator";
import { useFormatter } from "./use-formatter";

interface ConversationListProps {
  me: string;
  conversations: ConversationSummary[];
  loaded: boolean;
  error: string | null;
  /** The open conversation: its id, or (a direct one not created yet) its peer's id. */
  active: { conversationId: string | null; peerId: string | null } | null;
  presence: Record<string, PresenceState>;
  /** Peers typing to me (direct). */
  typing: string[];
  /** Members typing, by group id. */
  groupTyping: Record<string, string[]>;
  /** Known profiles: names of group senders. */
  people: Record<string, UserProfile>;
  onOpen(conversation: ConversationSummary): void;
  onRetry(): void;
  /** Moves focus to the people search (the empty state's call to action). */
  onFindPeople(): void;
}

const SKELETON_ROWS = 5;

export function ConversationList(props: ConversationListProps) {
  const { me, conversations, loaded, error, active, presence, typing, groupTyping, people, onOpen, onRetry, onFindPeople } = props;
  const now = useNow();
  useFormatter();

  if (!loaded && error) {
    return (
      <SidebarState role="alert" data-testid="conversations-error">
        <p className="text-base font-semibold">Could not load your conversations</p>
        <p className="text-muted-foreground">{error}</p>
        <Button className="mt-2" onClick={onRetry} data-testid="conversations-retry">
          Try again
        </Button>
      </SidebarState>
    );
  }
  if (!loaded) {
    return (
      <div className="p-[0.4rem]" aria-busy="true" aria-label="Loading conversations" role="status" data-testid="conversations-loading">
        {Array.from({ length: SKELETON_ROWS }, (_, index) => (
          <div key={index} className={cn(rowClassName, "cursor-default py-[0.6rem]")} aria-hidden="true">
            <Skeleton className="size-[42px] flex-none rounded-full" />
            <span className="flex min-w-0 flex-1 flex-col gap-[0.1rem]">
              <Skeleton className="my-[0.2rem] h-[0.8rem]" style={{ width: `${55 - index * 5}%` }} />
              <Skeleton className="my-[0.2rem] h-[0.65rem]" style={{ width: `${80 - index * 7}%` }} />
            </span>
          </div>
        ))}
      </div>
    );
  }
  if (conversations.length === 0) {
    return (
      <SidebarState data-testid="conversations-empty">
        <EmptyIllustration />
        <p className="text-base font-semibold">No conversations yet</p>
        <p className="text-muted-foreground">
          Start one by searching for someone by their email address. They need to have signed in once.
        </p>
        <Button variant="primary" className="mt-2" onClick={onFindPeople}>
          Find people
        </Button>
      </SidebarState>
    );
  }
  return (
    <nav aria-label="Conversations" className="flex-1 overflow-y-auto">
      <ul className="p-[0.4rem]">
        {conversations.map((conversation) => {
          const { peer, lastMessage, unreadCount } = conversation;
          const group = conversation.kind === "group" || peer === null;
          const online = !group && (presence[peer.id]?.online ?? false);
          const seen = group ? null : presenceLabel(presence[peer.id], now);
          const typers = group ? (groupTyping[conversation.id] ?? []) : typing.includes(peer.id) ? [peer.id] : [];
          const typingHint = typers.length === 0 ? null : group ? typingLine(typers.map((id) => nameOf(people, id))) : "typing…";
          const name = conversationTitle(conversation);
          const unread = unreadCount > 0;
          const isActive =
            active !== null &&
            (active.conversationId !== null ? active.conversationId === conversation.id : !group && active.peerId === peer.id);
          const preview =
            lastMessage.kind === "system"
              ? describeSystemMessage(lastMessage, people, me)
              : `${lastMessage.senderId === me ? "You: " : group ? `${nameOf(people, lastMessage.senderId)}: ` : ""}${lastMessage.deletedAt ? "Message deleted" : previewText(lastMessage)}`;
          return (
            <li key={conversation.id}>
              <button
                type="button"
                className={itemClassName}
                data-testid="conversation-item"
                data-kind={group ? "group" : "direct"}
                data-conversation-id={conversation.id}
                data-peer-id={peer?.id}
                data-peer-email={peer?.email}
                data-unread={unread || undefined}
                aria-current={isActive ? "true" : undefined}
                onClick={() => onOpen(conversation)}
              >
                {group ? (
                  <GroupAvatar members={conversation.members.preview} exclude={me} />
                ) : (
                  <UserAvatar user={peer} online={online} title={seen ?? undefined} />
                )}
                <span className="flex min-w-0 flex-1 flex-col gap-[0.1rem]">
                  <span className="flex min-w-0 items-center gap-2">
                    <span
                      className="min-w-0 flex-1 truncate font-semibold"
                      title={peer?.email ?? `${conversation.members.count} members`}
                      data-testid="conversation-name"
                    >
                      {name}
                    </span>
                    <time
                      className={cn("flex-none text-xs", unread ? "font-semibold text-primary" : "text-muted-foreground")}
                      dateTime={conversation.lastMessageAt}
                    >
                      {formatListTime(conversation.lastMessageAt)}
                    </time>
                  </span>
                  <span className="flex min-w-0 items-center gap-2">
                    {typingHint ? (
                      <span className={cn(previewLine, "font-medium text-primary italic")} data-testid="typing-hint">
                        {typingHint}
                      </span>
                    ) : (
                      <span
                        className={cn(previewLine, unread ? "font-semibold text-foreground" : "text-muted-foreground")}
                        data-testid="conversation-preview"
                      >
                        {preview}
                      </span>
                    )}
                    {unread ? (
                      <Badge data-testid="unread-count" aria-hidden="true">
                        {unreadCount > 99 ? "99+" : unreadCount}
                      </Badge>
                    ) : null}
                  </span>
                </span>
                <span className="sr-only" data-testid="conversation-presence">
                  {group ? `, group of ${conversation.members.count}` : ""}
                  {seen ? `, ${seen.toLowerCase()}` : ""}
                  {unread ? `, ${unreadCount} unread ${unreadCount === 1 ? "message" : "messages"}` : ""}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

/**
 * A row of the sidebar's lists (conversations, people found), without its height and hover:
 * `itemClassName` adds them. Inside a scrolling list an outer focus ring would be clipped.
 */
export const rowClassName =
  "flex w-full items-center gap-3 rounded-xl px-[0.65rem] text-left focus-visible:-outline-offset-2 aria-[current=true]:bg-selected";
export const itemClassName = `${rowClassName} py-[0.6rem] hover:bg-hover`;

/** A one-line preview under a row's name, without its colour: `previewClassName` adds the quiet one. */
const previewLine = "min-w-0 flex-1 truncate text-[0.85rem]";
export const previewClassName = `${previewLine} text-muted-foreground`;

/** Empty, error: a short explanation and what to do next. */
function SidebarState(props: ComponentProps<"div">) {
  return <div className="flex flex-col items-center gap-2 px-6 py-10 text-center text-sm" {...props} />;
}
