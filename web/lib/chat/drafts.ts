import type { ChatCore } from "./core";

const draftsKey = (userId: string) => `chat:drafts:v1:${userId}`;

/**
 * What was typed per conversation and not sent: kept while switching, and across a reload of the
 * tab. Keyed by `targetKey` (a direct conversation: the peer's id, as before groups).
 */
export function createDrafts(core: ChatCore) {
  const { storage, user } = core.deps;
  let drafts: Map<string, string> | null = null;

  const load = (): Map<string, string> => {
    if (drafts) return drafts;
    drafts = new Map();
    try {
      const stored = JSON.parse(storage.session.getItem(draftsKey(user.id)) ?? "{}") as Record<string, unknown>;
      for (const [key, text] of Object.entries(stored)) if (typeof text === "string" && text) drafts.set(key, text);
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
    get: (key: string) => load().get(key) ?? "",
    set(key: string, text: string) {
      if ((load().get(key) ?? "") === text) return;
      if (text) load().set(key, text);
      else load().delete(key);
      save();
    },
    clearAll() {
      drafts = new Map();
      save();
    },
  };
}
