import { lazy, Suspense } from "react";
import type { ChatClient } from "@/lib/chat/client";
import type { ConversationMember, ConversationSummary } from "@/lib/chat/chat-state";
import { Button } from "@/components/ui/button";
import { PeopleIcon } from "@/components/ui/icons";
import { useDialogOnDemand } from "@/components/ui/on-demand";
import { AvatarStack, GroupAvatar } from "./group-avatar";

// Not needed for the first paint: fetched when the user points at the button, or opens it.
const loadDialog = () => import("./group-members-dialog");
const GroupMembersDialog = lazy(loadDialog);

interface GroupHeaderProps {
  me: string;
  conversationId: string;
  name: string;
  role: "owner" | "member";
  /** Every member (from the conversation's detail); null until it arrives. */
  members: ConversationMember[] | null;
  /** The list's count and first few members, shown until the full list arrives. */
  summary: ConversationSummary["members"] | null;
  chat: Pick<ChatClient, "renameGroup" | "addMembers" | "removeMember" | "leaveGroup">;
}

/** The open group's header: its picture, name, member count and faces, and the members dialog. */
export function GroupHeader({ me, conversationId, name, role, members, summary, chat }: GroupHeaderProps) {
  const dialog = useDialogOnDemand(loadDialog);
  const people = members?.map((member) => member.user) ?? summary?.preview ?? [];
  const count = members?.length ?? summary?.count ?? people.length;

  return (
    <>
      <GroupAvatar members={people} exclude={me} />
      <div className="min-w-0 flex-1">
        <h1 className="truncate text-base leading-[1.3] font-bold" data-testid="group-name">
          {name}
        </h1>
        <p className="flex min-w-0 items-center gap-2 text-[0.8rem] whitespace-nowrap text-muted-foreground">
          <span data-testid="member-count">{count === 1 ? "1 member" : `${count} members`}</span>
          <AvatarStack members={people} />
        </p>
      </div>
      <Button className="flex-none" data-testid="members-button" {...dialog.triggerProps}>
        <PeopleIcon />
        <span className="phone:sr-only">Members</span>
      </Button>
      {dialog.used ? (
        <Suspense fallback={null}>
          <GroupMembersDialog
            me={me}
            name={name}
            role={role}
            members={members}
            open={dialog.open}
            setOpen={dialog.setOpen}
            returnFocusTo={dialog.triggerRef}
            onRename={(next) => chat.renameGroup(conversationId, next)}
            onAdd={(userIds) => chat.addMembers(conversationId, userIds)}
            onRemove={(userId) => chat.removeMember(conversationId, userId)}
            onLeave={() => chat.leaveGroup(conversationId)}
          />
        </Suspense>
      ) : null}
    </>
  );
}
