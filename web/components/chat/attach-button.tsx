import { useRef } from "react";
import { Button } from "@/components/ui/button";
import { PaperclipIcon } from "@/components/ui/icons";

/** The composer's paperclip: opens the file picker (several files at once). */
export function AttachButton({ onFiles }: { onFiles(files: File[]): void }) {
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <>
      <Button
        variant="ghost"
        size="icon"
        className="h-[2.6rem] w-[2.6rem]"
        data-testid="attach-button"
        aria-label="Attach files"
        onClick={() => inputRef.current?.click()}
      >
        <PaperclipIcon />
      </Button>
      <input
        ref={inputRef}
        type="file"
        multiple
        className="hidden"
        tabIndex={-1}
        data-testid="attach-input"
        onChange={(event) => {
          const chosen = [...(event.target.files ?? [])];
          event.target.value = "";
          if (chosen.length > 0) onFiles(chosen);
        }}
      />
    </>
  );
}
