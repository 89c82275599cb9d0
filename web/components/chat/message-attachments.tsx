import { lazy, Suspense } from "react";
import type { Attachment } from "@/lib/types";
import { attachmentUrl, fitWithin, formatBytes, typeLabel } from "@/lib/chat/attachment-format";
import { DownloadIcon, FileIcon } from "@/components/ui/icons";
import { useDialogOnDemand } from "@/components/ui/on-demand";
import { cn } from "@/lib/utils";

// The full-size viewer (Radix's dialog) is not needed for the first paint: fetched when the user
// points at or focuses an image, mounted when one is opened.
const loadViewer = () => import("./image-viewer");
const ImageViewer = lazy(loadViewer);

// Largest side of an image in the list (its preview is made at least this large by the server).
const PREVIEW_MAX_PX = 320;

/**
 * A sent message's files: images as previews at their final size (the list never jumps when
 * they load), opening full size in a dialog; other files as a card with a download link.
 */
export function MessageAttachments({ attachments, mine }: { attachments: Attachment[]; mine: boolean }) {
  return (
    <div className={cn("mt-1 flex max-w-full flex-wrap gap-[0.35rem]", mine && "justify-end")} data-testid="message-attachments">
      {attachments.map((attachment) =>
        attachment.kind === "image" && attachment.width !== null && attachment.height !== null ? (
          <ImageAttachment key={attachment.id} attachment={{ ...attachment, width: attachment.width, height: attachment.height }} />
        ) : (
          <FileAttachment key={attachment.id} attachment={attachment} />
        ),
      )}
    </div>
  );
}

function ImageAttachment({ attachment }: { attachment: Attachment & { width: number; height: number } }) {
  const shown = fitWithin(attachment.width, attachment.height, PREVIEW_MAX_PX);
  const viewer = useDialogOnDemand(loadViewer);
  return (
    <>
      <button
        type="button"
        className="block max-w-full overflow-hidden rounded-xl border border-border bg-muted focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        // The box has the image's final size (and ratio, when the column is narrower) before it loads.
        style={{ width: shown.width, aspectRatio: `${attachment.width} / ${attachment.height}` }}
        data-testid="attachment-image"
        data-attachment-id={attachment.id}
        {...viewer.triggerProps}
      >
        {/* eslint-disable-next-line @next/next/no-img-element -- an authorised route's bytes; next/image would proxy and cache them */}
        <img
          src={attachmentUrl(attachment.id, "preview")}
          alt={`Image ${attachment.name}, open full size`}
          width={shown.width}
          height={shown.height}
          loading="lazy"
          decoding="async"
          className="block h-full w-full object-cover"
        />
      </button>
      {viewer.used ? (
        <Suspense fallback={null}>
          <ImageViewer attachment={attachment} open={viewer.open} setOpen={viewer.setOpen} returnFocusTo={viewer.triggerRef} />
        </Suspense>
      ) : null}
    </>
  );
}

function FileAttachment({ attachment }: { attachment: Attachment }) {
  return (
    <a
      href={attachmentUrl(attachment.id, "download")}
      download={attachment.name}
      className="flex max-w-full min-w-52 items-center gap-3 rounded-xl border border-border bg-card px-3 py-2 text-foreground no-underline hover:bg-hover"
      data-testid="attachment-file"
      data-attachment-id={attachment.id}
    >
      <span className="grid size-9 flex-none place-items-center rounded-lg bg-muted text-muted-foreground">
        <FileIcon />
      </span>
      <span className="min-w-0 flex-1">
        <span className="block truncate text-sm font-semibold">{attachment.name}</span>
        <span className="block text-xs text-muted-foreground">
          {typeLabel(attachment.contentType, attachment.name)} · {formatBytes(attachment.size)}
        </span>
      </span>
      <DownloadIcon className="flex-none text-muted-foreground" />
      <span className="sr-only">Download</span>
    </a>
  );
}
