"use client";

import { useEffect, useRef, useState, type ComponentProps } from "react";
import type { ClientConfig } from "@/lib/chat/browser";
import type { AuthUser } from "@/lib/types";
import { Banner } from "@/components/banner";
import { Brand } from "@/components/brand";
import { ThemeToggle } from "@/components/theme-toggle";
import { Button } from "@/components/ui/button";
import { BackIcon } from "@/components/ui/icons";
import { UserAvatar } from "./avatar";
import {
  conversationOf,
  documentTitle,
  pendingIn,
  seenBy,
  seenMessageId,
  shownTarget,
  stagedUploads,
  targetKey,
  targetOf,
  totalUnread,
  typingIn,
} from "@/lib/chat/chat-state";
import { AttachmentDropZone } from "./attachment-drop-zone";
import { Composer } from "./composer";
import { ConnectionStatus } from "./connection-status";
import { ConversationList } from "./conversation-list";
import { EmptyIllustration } from "./empty-illustration";
import { conversationTitle, displayName, nameOf } from "./format";
import { GroupHeader } from "./group-header";
import { jumpToMessage } from "@/lib/chat/message-jump";
import { MessageList, type MessageListActions } from "./message-list";
import { MessageSearch } from "./message-search";
import { ReplyBar } from "./reply-quote";
import { NewGroupButton } from "./new-group-button";
import { PresenceText } from "./presence";
import { ProfileMenu } from "./profile-menu";
import { TypingIndicator } from "./typing-indicator";
import { useChat } from "./use-chat";
import { useConversationUrl } from "./use-conversation-url";
import { UserSearch } from "./user-search";

interface ChatAppProps {
  user: AuthUser;
  /** From the server's env: the Socket.IO server's URL and the limits the client checks too. */
  config: ClientConfig;
}

/**
 * The whole chat screen: conversation list on the left, the open conversation on the right.
 * On a phone (CSS, under 720 px) one of the two at a time, with a back button.
 */
export function ChatApp({ user, config }: ChatAppProps) {
  const { state, client: chat } = useChat(user, config);
  const view = state.view;
  const route = state.route;
  const { back } = useConversationUrl(chat, shownTarget(state));
  const pending = view ? pendingIn(state, view) : [];
  const searchRef = useRef<HTMLInputElement>(null);
  const unread = totalUnread(state);
  // The search result being shown in its conversation (scrolled to, highlighted).
  const [found, setFound] = useState<{ conversationId: string; messageId: string } | null>(null);

  useEffect(() => {
    document.title = documentTitle(unread);
  }, [unread]);

  const conversation = view ? conversationOf(state, view) : undefined;
  const group = view?.kind === "group";
  const peer = view && !group ? (conversation?.peer ?? view.peer) : null;
  const title = view
    ? group
      ? (view.name ?? conversationTitle({ kind: "group", name: conversation?.name ?? null, peer: null }))
      : peer
        ? displayName(peer)
        : ""
    : "";
  const seenId = view && !group ? seenMessageId(view.messages, user.id, conversation?.peerLastReadSeq ?? 0) : null;
  const seenByMembers = view && group ? seenBy(view.messages, user.id, conversation?.readStates ?? []) : null;
  const typingNames = view ? typingIn(state, view).map((id) => nameOf(state.people, id)) : [];
  const viewKey = view ? targetKey(targetOf(view)) : "";
  const replyingTo = view?.replyingTo ? view.messages.find((message) => message.id === view.replyingTo) : undefined;
  const messageActions: MessageListActions = {
    onReply: chat.replyTo,
    onEdit: chat.editMessage,
    onDelete: chat.deleteMessage,
    onToggleReaction: chat.toggleReaction,
  };
  // Files the limits turned away, shown under the composer of the conversation they were meant for.
  const [attachNotice, setAttachNotice] = useState<{ key: string; text: string } | null>(null);
  const attach = (files: File[]) => {
    const { rejected } = chat.attachFiles(files);
    setAttachNotice(
      rejected.length > 0
        ? { key: viewKey, text: `Not attached: ${rejected.map((file) => `${file.name} (${file.reason})`).join(", ")}.` }
        : null,
    );
  };

  return (
    <div className="group/shell flex h-dvh flex-col" data-view={view || route ? "conversation" : "list"}>
      <header className="flex h-14 flex-none items-center gap-4 border-b border-border bg-card pr-3 pl-4 phone:gap-[0.6rem]">
        <Brand />
        <ConnectionStatus state={state.connection} />
        <div className="ml-auto flex min-w-0 items-center gap-2">
          <MessageSearch
            me={user.id}
            conversations={state.conversations}
            people={state.people}
            onSelect={({ message }) => {
              setFound(null);
              void jumpToMessage(chat, message).then(
                (held) => held && setFound({ conversationId: message.conversationId, messageId: message.id }),
              );
            }}
          />
          <ThemeToggle />
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
        <Banner variant="error" role="alert">
          Your session has ended. <a href="/login">Sign in again</a>
        </Banner>
      ) : null}
      {state.notice ? (
        <Banner role="status">
          {state.notice}
          <Button variant="link" className="ml-2" onClick={chat.dismissNotice}>
            Dismiss
          </Button>
        </Banner>
      ) : null}

      <div className="grid min-h-0 flex-1 grid-cols-[minmax(280px,360px)_minmax(0,1fr)] phone:grid-cols-[minmax(0,1fr)]">
        <aside
          className="flex min-h-0 flex-col border-r border-border bg-card phone:border-r-0 phone:group-data-[view=conversation]/shell:hidden"
          aria-label="Conversations and people"
          data-testid="sidebar"
        >
          <UserSearch inputRef={searchRef} onSelect={(found) => void chat.openConversation(found)}>
            <ConversationList
              me={user.id}
              conversations={state.conversations}
              loaded={state.conversationsLoaded}
              error={state.conversationsError}
              active={view ? { conversationId: view.conversationId, peerId: view.peer?.id ?? null } : null}
              presence={state.presence}
              typing={state.typing}
              groupTyping={state.groupTyping}
              people={state.people}
              onOpen={(item) =>
                void (item.kind === "group" || !item.peer ? chat.openConversationById(item.id) : chat.openConversation(item.peer))
              }
              onRetry={chat.retryConversations}
              onFindPeople={() => searchRef.current?.focus()}
            />
            <NewGroupButton me={user.id} onCreate={chat.createGroup} />
          </UserSearch>
        </aside>

        <main
          className="flex min-h-0 min-w-0 flex-col bg-background phone:group-data-[view=list]/shell:hidden"
          data-testid="conversation-pane"
        >
          {view && group && view.removed ? (
            <PaneMessage data-testid="group-removed">
              <h1 className={paneTitleClassName}>You are no longer a member of this group</h1>
              <p>
                {title ? <>You were removed from “{title}”, or left it. </> : null}
                Its messages are no longer available to you.
              </p>
              <Button className="mt-4" data-testid="removed-back" onClick={back}>
                Back to your conversations
              </Button>
            </PaneMessage>
          ) : view && (peer || group) ? (
            <>
              <header
                className="flex h-[4.25rem] flex-none items-center gap-3 border-b border-border bg-card px-5 phone:gap-[0.6rem] phone:px-3"
                data-testid="conversation-header"
                data-peer-id={peer?.id}
                data-conversation-id={view.conversationId ?? undefined}
              >
                {/* A phone's only (the list is a screen of its own there); a wrapper, as the button sets its own display. */}
                <span className="hidden phone:contents">
                  <Button variant="ghost" size="icon" className="-ml-2" data-testid="back-button" onClick={back}>
                    <BackIcon />
                    <span className="sr-only">Back to conversations</span>
                  </Button>
                </span>
                {peer ? (
                  <>
                    <UserAvatar user={peer} online={state.presence[peer.id]?.online ?? false} />
                    <div className="min-w-0">
                      <h1 className="truncate text-base leading-[1.3] font-bold">{displayName(peer)}</h1>
                      <p className="flex min-w-0 gap-[0.4rem] text-[0.8rem] whitespace-nowrap text-muted-foreground">
                        <PresenceText presence={state.presence[peer.id]} />
                        <span className="truncate [.peer+&]:before:mr-[0.4rem] [.peer+&]:before:content-['·']">{peer.email}</span>
                      </p>
                    </div>
                  </>
                ) : (
                  <GroupHeader
                    me={user.id}
                    conversationId={view.conversationId ?? ""}
                    name={title}
                    role={conversation?.role ?? "member"}
                    members={view.members}
                    summary={conversation?.members ?? null}
                    chat={chat}
                  />
                )}
              </header>
              {/* Holds the scrolling list and the typing indicator floating over its bottom padding. */}
              <AttachmentDropZone className="flex min-h-0 flex-1 flex-col" onFiles={attach}>
                {/* Keyed by conversation: scroll position belongs to one conversation. */}
                <MessageList
                  key={`list-${viewKey}`}
                  me={user.id}
                  title={title}
                  group={group}
                  people={state.people}
                  messages={view.messages}
                  pending={pending}
                  hasOlder={view.hasOlder}
                  loading={view.loading}
                  error={view.error}
                  seenId={seenId}
                  seenBy={seenByMembers}
                  onLoadOlder={() => void chat.loadOlder()}
                  onReload={chat.retryHistory}
                  onRetry={chat.retryMessage}
                  onDiscard={chat.discardMessage}
                  focusId={found && found.conversationId === view.conversationId ? found.messageId : null}
                  actions={view.removed ? undefined : messageActions}
                  uploads={state.uploads}
                  onCancelUpload={chat.cancelUpload}
                  onRetryUpload={chat.retryUpload}
                />
                <TypingIndicator names={typingNames} />
              </AttachmentDropZone>
              <Composer
                key={`composer-${viewKey}`}
                recipientName={title}
                initialDraft={chat.draftFor(viewKey)}
                onSend={(content) => chat.sendMessage(content)}
                onDraftChange={chat.changeDraft}
                onBlur={chat.stopTyping}
                replyingTo={view.replyingTo}
                onCancelReply={() => chat.replyTo(null)}
                attachments={{
                  uploads: stagedUploads(state, view),
                  notice: attachNotice?.key === viewKey ? attachNotice.text : null,
                  onAttach: attach,
                  onCancel: chat.cancelUpload,
                  onRetry: chat.retryUpload,
                }}
              >
                {replyingTo ? (
                  <ReplyBar me={user.id} message={replyingTo} people={state.people} onCancel={() => chat.replyTo(null)} />
                ) : null}
              </Composer>
            </>
          ) : route ? (
            <PaneMessage data-testid={route.status === "missing" ? "conversation-not-found" : "conversation-resolving"}>
              {route.status === "missing" ? (
                <>
                  <h1 className={paneTitleClassName}>No conversation here</h1>
                  <p>This link is not one of your conversations, or the address is wrong. Find the person by email to write to them.</p>
                  <Button className="mt-4" data-testid="not-found-back" onClick={back}>
                    Back to your conversations
                  </Button>
                </>
              ) : (
                <p role="status">Opening the conversation…</p>
              )}
            </PaneMessage>
          ) : (
            <PaneMessage data-testid="no-conversation">
              <h1 className={paneTitleClassName}>Your messages</h1>
              <p>Pick a conversation on the left, or find someone by email to start a new one.</p>
            </PaneMessage>
          )}
        </main>
      </div>
    </div>
  );
}

const paneTitleClassName = "mb-[0.4rem] text-xl font-bold text-foreground";

/** The empty conversation pane: an illustration, a title, what to do. */
function PaneMessage({ children, ...props }: ComponentProps<"div">) {
  return (
    <div className="m-auto flex max-w-96 flex-col items-center p-8 text-center text-muted-foreground" {...props}>
      <EmptyIllustration large />
      {children}
    </div>
  );
}
