import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

export const badgeVariants = cva("inline-flex flex-none items-center justify-center rounded-full font-bold", {
  variants: {
    variant: {
      /** A count (unread messages). */
      default: "h-[1.3rem] min-w-[1.3rem] px-[0.4rem] text-[0.72rem] leading-[1.3rem] text-primary-foreground bg-primary",
      /** A quiet pill (status, labels). */
      secondary: "gap-[0.4rem] bg-muted px-[0.6rem] py-[0.2rem] text-[0.8rem] font-semibold text-muted-foreground",
      /** A warning label (the dev tools). */
      outline: "border border-current px-[0.6rem] py-[0.1rem] text-xs tracking-[0.06em] text-warning uppercase",
    },
  },
  defaultVariants: { variant: "default" },
});

export function Badge({ className, variant, ...props }: ComponentProps<"span"> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ variant }), className)} {...props} />;
}
