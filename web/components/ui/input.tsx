import type { ComponentProps } from "react";
import { cn } from "@/lib/utils";

/** Shared by text inputs and text areas. */
export const inputClassName =
  "w-full rounded-lg border border-border bg-card px-3 py-[0.55rem] text-foreground transition-[border-color,box-shadow,background-color] duration-120 focus:border-primary focus:shadow-[0_0_0_3px_color-mix(in_srgb,var(--primary)_22%,transparent)] focus:outline-none aria-invalid:border-destructive";

export function Input({ className, ...props }: ComponentProps<"input">) {
  return <input className={cn(inputClassName, className)} {...props} />;
}

export function Textarea({ className, ...props }: ComponentProps<"textarea">) {
  return <textarea className={cn(inputClassName, className)} {...props} />;
}

export function Label({ className, ...props }: ComponentProps<"label">) {
  return <label className={cn("mb-[0.35rem] block text-sm font-semibold", className)} {...props} />;
}
