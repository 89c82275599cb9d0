import type { ComponentProps } from "react";
import { cn } from "@/lib/utils";

/** A loading placeholder with a shimmer (the `skeleton` utility in globals.css). */
export function Skeleton({ className, ...props }: ComponentProps<"span">) {
  return <span className={cn("skeleton", className)} aria-hidden="true" {...props} />;
}
