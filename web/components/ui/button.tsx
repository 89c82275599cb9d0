import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

export const buttonVariants = cva(
  "inline-flex items-center justify-center gap-[0.4rem] whitespace-nowrap rounded-lg border text-sm font-semibold transition-[background-color,border-color,color,opacity] duration-120 disabled:cursor-not-allowed disabled:opacity-55",
  {
    variants: {
      variant: {
        default: "border-border bg-card text-foreground enabled:hover:bg-hover",
        primary: "border-transparent bg-primary text-primary-foreground enabled:hover:bg-primary-hover",
        destructive: "border-border bg-card text-destructive enabled:hover:bg-destructive-soft",
        ghost: "border-transparent bg-transparent text-muted-foreground enabled:hover:text-foreground",
        link: "ml-2 inline border-0 p-0 text-[length:inherit] font-normal text-primary underline underline-offset-2",
      },
      size: {
        default: "px-[0.9rem] py-2",
        block: "w-full px-4 py-[0.65rem]",
        icon: "size-9 flex-none rounded-full border-0 p-0 enabled:hover:bg-hover",
        none: "",
      },
    },
    compoundVariants: [{ variant: "link", className: "px-0 py-0" }],
    defaultVariants: { variant: "default", size: "default" },
  },
);

export type ButtonProps = ComponentProps<"button"> & VariantProps<typeof buttonVariants>;

/** A button in the app's styles; `type` defaults to "button" (submit only when asked). */
export function Button({ className, variant, size, type = "button", ...props }: ButtonProps) {
  return <button type={type} className={cn(buttonVariants({ variant, size }), className)} {...props} />;
}
