import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

/** Shared by text inputs and text areas. `box="none"`: the caller sizes and pads it. */
export const inputVariants = cva(
  "border text-foreground transition-[border-color,box-shadow,background-color] duration-120 focus:border-primary focus:shadow-[0_0_0_3px_color-mix(in_srgb,var(--primary)_22%,transparent)] focus:outline-none aria-invalid:border-destructive",
  {
    variants: {
      variant: {
        default: "rounded-lg border-border bg-card",
        /** On a muted fill, card-coloured while focused (the composer, the people search); the caller rounds it. */
        filled: "border-transparent bg-muted focus:bg-card",
      },
      box: {
        default: "w-full px-3 py-[0.55rem]",
        none: "",
      },
    },
    defaultVariants: { variant: "default", box: "default" },
  },
);

type InputVariants = VariantProps<typeof inputVariants>;

export function Input({ className, variant, box, ...props }: ComponentProps<"input"> & InputVariants) {
  return <input className={cn(inputVariants({ variant, box }), className)} {...props} />;
}

export function Textarea({ className, variant, box, ...props }: ComponentProps<"textarea"> & InputVariants) {
  return <textarea className={cn(inputVariants({ variant, box }), className)} {...props} />;
}

const labelVariants = cva("block text-sm font-semibold", {
  /** `none`: no space below (the caller spaces it). */
  variants: { spacing: { default: "mb-[0.35rem]", none: "" } },
  defaultVariants: { spacing: "default" },
});

export function Label({ className, spacing, ...props }: ComponentProps<"label"> & VariantProps<typeof labelVariants>) {
  return <label className={cn(labelVariants({ spacing }), className)} {...props} />;
}
