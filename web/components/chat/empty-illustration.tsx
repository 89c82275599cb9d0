import { cn } from "@/lib/utils";

/** Two overlapping speech bubbles, drawn in CSS. Decorative. */
export function EmptyIllustration({ large = false }: { large?: boolean }) {
  return (
    <span className={cn("relative block h-14 w-[72px] flex-none", large ? "mb-5 scale-125" : "mb-2")} aria-hidden="true">
      <span className="absolute top-0 left-0 h-[34px] w-12 rounded-[14px_14px_14px_4px] bg-primary-soft shadow-[inset_0_0_0_1px_color-mix(in_srgb,var(--primary)_25%,transparent)]" />
      <span className="bg-brand absolute right-0 bottom-0 h-[30px] w-11 rounded-[14px_14px_4px_14px]" />
    </span>
  );
}
