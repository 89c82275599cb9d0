import { useRef } from "react";
import type { UploadItem } from "@/lib/chat/chat-state";
import { formatBytes } from "@/lib/chat/attachment-format";
import { describeUploadError } from "@/lib/client/uploads";
import { Button } from "@/components/ui/button";
import { CheckIcon, CloseIcon, FileIcon } from "@/components/ui/icons";
import { cn } from "@/lib/utils";

interface AttachmentUploadsProps {
  uploads: UploadItem[];
  /** An unsent message's upload ids: shows those, in this order, and says when some are not in this tab. */
  ids?: string[];
  onCancel(uploadId: string): void;
  /** `file`: chosen again, for an upload whose file the page lost. */
  onRetry(uploadId: string, file?: File): void;
  className?: string;
  /** `row`: side by side, wrapping (the composer); a column by default (under a message). */
  layout?: "column" | "row";
}

/**
 * Files on their way: in the composer, and under a message that waits for them. Each shows its
 * progress, and a cancel button; a failed one says why, with retry (or "choose again" when a
 * reload lost the file).
 */
export function AttachmentUploads({ uploads, ids, onCancel, onRetry, className, layout = "column" }: AttachmentUploadsProps) {
  const byId = new Map(uploads.map((upload) => [upload.id, upload]));
  const listed = ids ? ids.flatMap((id) => byId.get(id) ?? []) : uploads;
  // Another tab's message (its files are there), or records lost: this tab cannot send it.
  const elsewhere = ids ? ids.length - listed.length : 0;
  const shown = listed.filter((upload) => upload.status !== "cancelled");
  if (shown.length === 0 && elsewhere === 0) return null;
  return (
    <ul
      className={cn("flex gap-[0.35rem]", layout === "row" ? "flex-row flex-wrap" : "flex-col", className)}
      aria-label="Attachments"
      data-testid="attachment-uploads"
    >
      {shown.map((upload) => (
        <UploadRow key={upload.id} upload={upload} onCancel={onCancel} onRetry={onRetry} />
      ))}
      {elsewhere > 0 ? (
        <li className="text-xs text-muted-foreground" data-testid="uploads-elsewhere">
          {elsewhere === 1 ? "1 file is" : `${elsewhere} files are`} uploading in another tab (or were lost there): it sends from there.
        </li>
      ) : null}
    </ul>
  );
}

function UploadRow({
  upload,
  onCancel,
  onRetry,
}: {
  upload: UploadItem;
  onCancel(id: string): void;
  onRetry(id: string, file?: File): void;
}) {
  const pickRef = useRef<HTMLInputElement>(null);
  const percent = upload.size > 0 ? Math.min(100, Math.round((upload.loaded / upload.size) * 100)) : 100;
  const failed = upload.status === "failed";
  const error = upload.error ? describeUploadError(upload.error) : "";
  return (
    <li
      className={cn(
        "flex w-72 max-w-full items-center gap-[0.6rem] rounded-xl border px-3 py-2 text-sm text-foreground",
        failed ? "border-destructive bg-destructive-soft" : "border-border bg-card",
      )}
      data-testid="upload"
      data-status={upload.status}
      data-upload-id={upload.id}
    >
      <span className="grid size-8 flex-none place-items-center rounded-lg bg-muted text-muted-foreground" aria-hidden="true">
        {upload.status === "done" ? <CheckIcon /> : <FileIcon />}
      </span>
      <span className="min-w-0 flex-1">
        <span className="block truncate font-semibold">{upload.name}</span>
        {failed ? (
          <span className="block text-xs text-destructive" role="alert" data-testid="upload-error">
            {error}
          </span>
        ) : upload.status === "done" ? (
          <span className="block text-xs text-muted-foreground">{formatBytes(upload.size)} · Uploaded</span>
        ) : (
          <>
            <span
              className="mt-1 block h-1.5 overflow-hidden rounded-full bg-muted"
              role="progressbar"
              aria-label={`Uploading ${upload.name}`}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={percent}
              data-testid="upload-progress"
            >
              <span className="block h-full rounded-full bg-primary transition-[width]" style={{ width: `${percent}%` }} />
            </span>
            <span className="block text-xs text-muted-foreground">
              {formatBytes(upload.loaded)} of {formatBytes(upload.size)}
            </span>
          </>
        )}
      </span>
      {failed && upload.fileGone ? (
        <>
          <Button variant="link" data-testid="upload-choose-again" onClick={() => pickRef.current?.click()}>
            Choose again
          </Button>
          <input
            ref={pickRef}
            type="file"
            className="hidden"
            tabIndex={-1}
            aria-hidden="true"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) onRetry(upload.id, file);
              event.target.value = "";
            }}
          />
        </>
      ) : failed && upload.error?.code !== "attachment_too_large" ? (
        <Button variant="link" data-testid="upload-retry" onClick={() => onRetry(upload.id)}>
          Retry
        </Button>
      ) : null}
      <Button
        variant="ghost"
        size="icon-sm"
        data-testid="upload-cancel"
        aria-label={upload.status === "uploading" ? `Cancel upload of ${upload.name}` : `Remove ${upload.name}`}
        onClick={() => onCancel(upload.id)}
      >
        <CloseIcon />
      </Button>
    </li>
  );
}
