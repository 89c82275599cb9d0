import type { UploadDestination, UploadReadiness } from "@/lib/client/uploads";
import { ATTACHMENT_MAX_BYTES_DEFAULT, ATTACHMENTS_PER_MESSAGE_MAX } from "@/lib/limits";
import { formatBytes } from "./attachment-format";
import { stagedUploads, targetKey, targetOf, type ConversationView } from "./chat-state";
import type { ChatCore } from "./core";

/** What `attachFiles` turned away, and why (shown by the composer). */
export interface AttachResult {
  rejected: { name: string; reason: string }[];
}

/**
 * Files in messages: the composer's uploads, which go with the next message; the outbox sends
 * that message once they are all done (`readiness`). Uploads of messages no longer waiting
 * (sent, discarded) are forgotten.
 */
export function createAttachments(core: ChatCore) {
  // One limit for both checks: here (the reason shown at once) and in the uploads (a retry's new file).
  const maxBytes = core.deps.attachmentMaxBytes ?? ATTACHMENT_MAX_BYTES_DEFAULT;
  const uploads =
    core.deps.uploads?.({
      maxBytes,
      onSettled: () => void core.outbox()?.flush(),
      onUnauthorized: () => core.endSession(),
    }) ?? null;
  const find = (id: string) => uploads?.items().find((upload) => upload.id === id);

  return {
    readiness: (ids: string[]): UploadReadiness => uploads?.readiness(ids) ?? { state: "blocked" },
    /** The composer's uploads (ids) that go with the view's next message. */
    staged: (view: ConversationView): string[] =>
      stagedUploads({ uploads: uploads?.items() ?? [] }, view)
        .filter((upload) => upload.status !== "cancelled")
        .map((upload) => upload.id),
    assign(ids: string[], clientId: string) {
      if (ids.length > 0) uploads?.assign(ids, clientId);
    },
    attach(files: File[]): AttachResult {
      const view = core.getState().view;
      if (!uploads || !view || view.removed) {
        return { rejected: files.map((file) => ({ name: file.name, reason: "Files cannot be sent here." })) };
      }
      const target = targetOf(view);
      const destination: UploadDestination = target.kind === "group" ? { conversationId: target.conversationId } : { with: target.peerId };
      let room = ATTACHMENTS_PER_MESSAGE_MAX - stagedUploads(core.getState(), view).length;
      const rejected: AttachResult["rejected"] = [];
      for (const file of files) {
        if (file.size > maxBytes) rejected.push({ name: file.name, reason: `larger than ${formatBytes(maxBytes)}` });
        else if (file.size === 0) rejected.push({ name: file.name, reason: "empty" });
        else if (room <= 0) rejected.push({ name: file.name, reason: `a message carries at most ${ATTACHMENTS_PER_MESSAGE_MAX} files` });
        else {
          room -= 1;
          uploads.add(targetKey(target), destination, file);
        }
      }
      return { rejected };
    },
    cancel(id: string) {
      const upload = find(id);
      if (!uploads || !upload) return;
      // A message left with neither text nor files has nothing to send: discarded before the
      // cancel lets the outbox look at it again.
      const item =
        upload.clientId === null
          ? undefined
          : core
              .outbox()
              ?.items()
              .find((entry) => entry.clientId === upload.clientId);
      const left = (item?.uploads ?? []).filter((other) => other !== id && find(other)?.status !== "cancelled");
      if (item && !item.content && left.length === 0) core.outbox()?.discard(item.clientId);
      uploads.cancel(id);
    },
    retry(id: string, file?: File) {
      uploads?.retry(id, file);
    },
    start() {
      if (!uploads) return () => {};
      const sync = () => core.dispatch({ type: "uploads/synced", items: uploads.items() });
      const unsubscribe = uploads.subscribe(sync);
      // What an earlier page left unfinished: failed (its bytes are gone) unless only `complete` was left.
      uploads.restore();
      sync();
      let outbox = core.getState().outbox;
      const prune = () => uploads.prune(new Set(outbox.map((item) => item.clientId)));
      prune();
      const stopWatching = core.watch(() => {
        const next = core.getState().outbox;
        if (next === outbox) return;
        outbox = next;
        prune();
      });
      return () => {
        unsubscribe();
        stopWatching();
      };
    },
  };
}
