import { isConversationGone, isUnauthorized } from "@/lib/client/api";
import type { ConversationView } from "./chat-state";
import type { Conversations } from "./conversations";
import type { ChatCore } from "./core";
import type { ConversationDetail } from "@/lib/types";

export interface Groups {
  /** Creates a group with me as its owner and opens it. Throws the API's error (e.g. 422 `group_too_small`). */
  create(input: { name: string; memberIds: string[] }): Promise<ConversationDetail>;
  /** Owners only (403 `not_owner`). */
  rename(conversationId: string, name: string): Promise<ConversationDetail>;
  /** Owners only; members already in are ignored. */
  addMembers(conversationId: string, userIds: string[]): Promise<ConversationDetail>;
  /** Owners remove anyone; removing myself is leaving. Null when I left. */
  removeMember(conversationId: string, userId: string): Promise<ConversationDetail | null>;
  /** Leaves the group: it leaves my list, and the view closes if it is open. */
  leave(conversationId: string): Promise<void>;
  start(): () => void;
}

/** The newest system message's seq in a view (membership or name changed at that point). */
function lastSystemSeq(view: ConversationView): number {
  return view.messages.findLast((message) => message.kind === "system")?.seq ?? 0;
}

/**
 * Groups: creating one and managing its members (the UI's actions; each answers the new detail,
 * which goes into the state), and keeping the open group's member list current when it changes:
 * on `conversation:updated`, and on a system message in its timeline (which a catch-up also
 * brings when the push was lost).
 */
export function createGroups(core: ChatCore, conversations: Conversations): Groups {
  const { api, user } = core.deps;

  /** The API's answer or error, applied to the state; the error goes on to the caller (the UI shows it). */
  async function apply<T>(conversationId: string | null, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isUnauthorized(error)) core.endSession();
      else if (conversationId && isConversationGone(error)) core.dispatch({ type: "conversation/left", conversationId });
      throw error;
    }
  }

  const withDetail = async (conversationId: string | null, call: () => Promise<ConversationDetail>) => {
    const detail = await apply(conversationId, call);
    core.dispatch({ type: "conversation/detail", detail });
    return detail;
  };

  async function leave(conversationId: string) {
    await removeMember(conversationId, user.id);
  }

  async function removeMember(conversationId: string, userId: string): Promise<ConversationDetail | null> {
    const result = await apply(conversationId, () => api.removeMember(conversationId, userId));
    if ("left" in result) {
      core.dispatch({ type: "conversation/left", conversationId });
      // Left on purpose: back to the list rather than a "no longer a member" view.
      if (core.getState().view?.conversationId === conversationId) conversations.close();
      return null;
    }
    core.dispatch({ type: "conversation/detail", detail: result });
    return result;
  }

  return {
    async create(input) {
      const detail = await withDetail(null, () => api.createGroup(input));
      await conversations.openById(detail.id);
      return detail;
    },
    rename: (conversationId, name) => withDetail(conversationId, () => api.renameGroup(conversationId, name)),
    addMembers: (conversationId, userIds) => withDetail(conversationId, () => api.addMembers(conversationId, userIds)),
    removeMember,
    leave,
    start() {
      // The open group's newest system message, once its first page is in: a later one means members or name changed.
      let tracked: { conversationId: string; seq: number; messages: unknown } | null = null;
      const watchTimeline = () => {
        const view = core.getState().view;
        const id = view?.kind === "group" && !view.removed && view.loading !== "initial" ? view.conversationId : null;
        if (!view || !id) {
          if (view?.conversationId !== tracked?.conversationId) tracked = null;
          return;
        }
        if (tracked?.conversationId !== id) {
          tracked = { conversationId: id, seq: lastSystemSeq(view), messages: view.messages };
          return;
        }
        if (tracked.messages === view.messages) return;
        tracked.messages = view.messages;
        const seq = lastSystemSeq(view);
        if (seq <= tracked.seq) return;
        tracked.seq = seq;
        void conversations.refresh(id);
      };
      const stops = [
        core.watch(watchTimeline),
        core.on("conversationUpdated", (update) => {
          const view = core.getState().view;
          if (view?.conversationId !== update.conversationId || view.removed) return;
          // Someone joined: their profile and role come with the detail.
          const known = new Set(view.members?.map((member) => member.user.id) ?? []);
          if (view.members === null || update.memberIds.some((id) => !known.has(id))) void conversations.refresh(update.conversationId);
        }),
      ];
      return () => {
        for (const stop of stops) stop();
      };
    },
  };
}
