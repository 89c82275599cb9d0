import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

const bannerVariants = cva("flex items-center gap-2 px-4 py-[0.6rem] text-sm", {
  variants: {
    variant: {
      info: "bg-primary-soft",
      error: "bg-destructive-soft text-destructive",
    },
  },
  defaultVariants: { variant: "info" },
});

/** A full-width notice (under the app bar), or a boxed one with `className="rounded-lg"`. */
export function Banner({ className, variant, ...props }: ComponentProps<"div"> & VariantProps<typeof bannerVariants>) {
  return <div className={cn(bannerVariants({ variant }), className)} {...props} />;
}
