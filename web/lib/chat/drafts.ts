import type { ChatCore } from "./core";

const draftsKey = (userId: string) => `chat:drafts:v1:${userId}`;

/** What was typed per conversation and not sent: kept while switching, and across a reload of the tab. */
export function createDrafts(core: ChatCore) {
  const { storage, user } = core.deps;
  let drafts: Map<string, string> | null = null;

  const load = (): Map<string, string> => {
    if (drafts) return drafts;
    drafts = new Map();
    try {
      const stored = JSON.parse(storage.session.getItem(draftsKey(user.id)) ?? "{}") as Record<string, unknown>;
      for (const [peerId, text] of Object.entries(stored)) if (typeof text === "string" && text) drafts.set(peerId, text);
    } catch {
      // Unreadable: start empty.
    }
    return drafts;
  };
  const save = () => {
    try {
      if (load().size === 0) storage.session.removeItem(draftsKey(user.id));
      else storage.session.setItem(draftsKey(user.id), JSON.stringify(Object.fromEntries(load())));
    } catch {
      // Storage blocked: drafts last while the page does.
    }
  };

  return {
    get: (peerId: string) => load().get(peerId) ?? "",
    set(peerId: string, text: string) {
      if ((load().get(peerId) ?? "") === text) return;
      if (text) load().set(peerId, text);
      else load().delete(peerId);
      save();
    },
    clearAll() {
      drafts = new Map();
      save();
    },
  };
}
