import { cn } from "@/lib/utils";

/** A small spinning ring in the text colour, beside a "Loading…" label. */
export function Spinner({ className }: { className?: string }) {
  return (
    <span
      className={cn(
        "inline-block size-[0.85em] animate-spin rounded-full border-2 border-current border-r-transparent align-[-0.1em]",
        className,
      )}
      aria-hidden="true"
    />
  );
}
