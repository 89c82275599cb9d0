import type { ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

// What every boxed variant shares; `link` is text in the flow instead. No class here and in a
// variant or size may set the same thing: cn() does not merge (see lib/utils.ts).
const box = "inline-flex items-center justify-center gap-[0.4rem] text-sm font-semibold";

export const buttonVariants = cva(
  "whitespace-nowrap transition-[background-color,border-color,color,opacity] duration-120 disabled:cursor-not-allowed disabled:opacity-55",
  {
    variants: {
      variant: {
        default: `${box} border-border bg-card text-foreground enabled:hover:bg-hover`,
        primary: `${box} border-transparent bg-primary text-primary-foreground enabled:hover:bg-primary-hover`,
        destructive: `${box} border-border bg-card text-destructive enabled:hover:bg-destructive-soft`,
        ghost: `${box} border-transparent bg-transparent text-muted-foreground enabled:hover:text-foreground`,
        /** A link-styled button inside a line of text (its size is `none` unless given). */
        link: "inline text-[length:inherit] font-normal text-primary underline underline-offset-2",
      },
      size: {
        default: "rounded-lg border px-[0.9rem] py-2",
        sm: "rounded-lg border px-2 py-1",
        block: "w-full rounded-lg border px-4 py-[0.65rem]",
        icon: "size-9 flex-none rounded-full",
        "icon-sm": "size-8 flex-none rounded-full",
        none: "",
      },
    },
    compoundVariants: [{ variant: "ghost", size: ["icon", "icon-sm"], className: "enabled:hover:bg-hover" }],
    defaultVariants: { variant: "default", size: "default" },
  },
);

export type ButtonProps = ComponentProps<"button"> & VariantProps<typeof buttonVariants>;

/** A button in the app's styles; `type` defaults to "button" (submit only when asked). */
export function Button({ className, variant, size, type = "button", ...props }: ButtonProps) {
  const resolvedSize = size ?? (variant === "link" ? "none" : "default");
  return <button type={type} className={cn(buttonVariants({ variant, size: resolvedSize }), className)} {...props} />;
}
