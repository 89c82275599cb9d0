import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

const pill = "gap-[0.4rem] bg-muted px-[0.6rem] py-[0.2rem] text-[0.8rem] font-semibold";

export const badgeVariants = cva("inline-flex flex-none items-center justify-center rounded-full", {
  variants: {
    variant: {
      /** A count (unread messages). */
      default: "h-[1.3rem] min-w-[1.3rem] px-[0.4rem] text-[0.72rem] leading-[1.3rem] font-bold text-primary-foreground bg-primary",
      /** A quiet pill (status, labels). */
      secondary: `${pill} text-muted-foreground`,
      /** The quiet pill with its text in the warning colour (a connection coming back). */
      "secondary-warning": `${pill} text-warning-foreground`,
      /** A warning label (the dev tools). */
      outline: "border border-current px-[0.6rem] py-[0.1rem] text-xs font-bold tracking-[0.06em] text-warning uppercase",
    },
  },
  defaultVariants: { variant: "default" },
});

export function Badge({ className, variant, ...props }: ComponentProps<"span"> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ variant }), className)} {...props} />;
}
