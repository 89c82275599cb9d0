import type { RefObject } from "react";
import type { Attachment } from "@/lib/types";
import { attachmentUrl, formatBytes } from "@/lib/chat/attachment-format";
import { Dialog, DialogContent, DialogDescription, DialogTitle } from "@/components/ui/dialog";
import { DownloadIcon } from "@/components/ui/icons";

export interface ImageViewerProps {
  attachment: Attachment & { width: number; height: number };
  open: boolean;
  setOpen(open: boolean): void;
  returnFocusTo: RefObject<HTMLElement | null>;
}

/** An image full size in a dialog, with a download link. Loaded on first use (see MessageAttachments). */
export default function ImageViewer({ attachment, open, setOpen, returnFocusTo }: ImageViewerProps) {
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogContent
        size="fit"
        className="p-3 pt-14"
        data-testid="attachment-viewer"
        // The dialog has no Radix trigger: give the focus back to the image's button.
        onCloseAutoFocus={(event) => {
          event.preventDefault();
          returnFocusTo.current?.focus();
        }}
      >
        <DialogTitle size="sm" className="absolute top-4 left-5 max-w-[calc(100%-8rem)] truncate">
          {attachment.name}
        </DialogTitle>
        <DialogDescription className="sr-only">
          {attachment.width} × {attachment.height} pixels, {formatBytes(attachment.size)}
        </DialogDescription>
        {/* eslint-disable-next-line @next/next/no-img-element -- an authorised route's bytes; next/image would proxy and cache them */}
        <img
          src={attachmentUrl(attachment.id)}
          alt={attachment.name}
          width={attachment.width}
          height={attachment.height}
          className="block h-auto max-h-[calc(100dvh-7rem)] w-auto max-w-full rounded-lg object-contain"
          data-testid="attachment-full"
        />
        <a
          href={attachmentUrl(attachment.id, "download")}
          download={attachment.name}
          className="absolute top-4 right-14 inline-grid size-9 place-items-center rounded-full text-muted-foreground hover:bg-hover hover:text-foreground"
          aria-label={`Download ${attachment.name}`}
        >
          <DownloadIcon />
        </a>
      </DialogContent>
    </Dialog>
  );
}
