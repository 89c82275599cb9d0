import { useRef, useState, type DragEvent, type ReactNode } from "react";
import { cn } from "@/lib/utils";

const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes("Files");

/**
 * The conversation as a drop target: files dragged over it show a hint, dropped ones are
 * attached to the next message. (The attach button is the keyboard's way; this is a shortcut.)
 */
export function AttachmentDropZone({
  onFiles,
  className,
  children,
}: {
  onFiles(files: File[]): void;
  className?: string;
  children: ReactNode;
}) {
  const [over, setOver] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them.
  const depth = useRef(0);

  return (
    <div
      className={cn("relative", className)}
      data-testid="drop-zone"
      onDragEnter={(event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current += 1;
        setOver(true);
      }}
      onDragOver={(event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={(event) => {
        if (!carriesFiles(event)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setOver(false);
      }}
      onDrop={(event) => {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current = 0;
        setOver(false);
        const files = [...event.dataTransfer.files];
        if (files.length > 0) onFiles(files);
      }}
    >
      {children}
      {over ? (
        <div
          className="pointer-events-none absolute inset-2 z-20 grid place-items-center rounded-2xl border-2 border-dashed border-primary bg-card/85 text-base font-semibold text-foreground"
          data-testid="drop-hint"
        >
          Drop files to attach them
        </div>
      ) : null}
    </div>
  );
}
