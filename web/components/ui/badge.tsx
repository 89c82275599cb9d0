import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

export const badgeVariants = cva("inline-flex flex-none items-center justify-center rounded-full", {
  variants: {
    variant: {
      /** A count (unread messages). */
      default: "h-[1.3rem] min-w-[1.3rem] px-[0.4rem] text-[0.72rem] leading-[1.3rem] font-bold text-primary-foreground bg-primary",
      /** A quiet pill (status, labels). */
      secondary: "gap-[0.4rem] bg-muted px-[0.6rem] py-[0.2rem] text-[0.8rem] font-semibold",
      /** A warning label (the dev tools). */
      outline: "border border-current px-[0.6rem] py-[0.1rem] text-xs font-bold tracking-[0.06em] text-warning uppercase",
    },
    /** The text colour of a `secondary` badge (the others have their own). */
    tone: { muted: "", warning: "" },
  },
  compoundVariants: [
    { variant: "secondary", tone: "muted", className: "text-muted-foreground" },
    { variant: "secondary", tone: "warning", className: "text-warning-foreground" },
  ],
  defaultVariants: { variant: "default", tone: "muted" },
});

export function Badge({ className, variant, tone, ...props }: ComponentProps<"span"> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ variant, tone }), className)} {...props} />;
}
