"use client";

import type { ComponentProps } from "react";
import * as DialogPrimitive from "@radix-ui/react-dialog";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";
import { CloseIcon } from "./icons";

export const Dialog = DialogPrimitive.Root;
export const DialogTrigger = DialogPrimitive.Trigger;
export const DialogClose = DialogPrimitive.Close;

/**
 * A modal dialog (Radix: focus moves in and back, Escape and a click outside close it, the page
 * behind is inert). Has a close button in its top corner unless `showClose` is false.
 */
const dialogContentVariants = cva(
  "fixed top-1/2 left-1/2 z-50 flex max-h-[calc(100dvh-2rem)] -translate-x-1/2 -translate-y-1/2 flex-col overflow-y-auto rounded-2xl border border-border bg-card text-foreground shadow-elevation-lg data-[state=open]:animate-rise",
  {
    variants: {
      /** `fit`: as wide as its content, up to the viewport (an image). */
      size: { default: "w-[min(28rem,calc(100vw-2rem))]", lg: "w-[min(32rem,calc(100vw-2rem))]", fit: "w-auto max-w-[calc(100vw-2rem)]" },
    },
    defaultVariants: { size: "default" },
  },
);

export function DialogContent({
  className,
  children,
  size,
  showClose = true,
  ...props
}: ComponentProps<typeof DialogPrimitive.Content> & VariantProps<typeof dialogContentVariants> & { showClose?: boolean }) {
  return (
    <DialogPrimitive.Portal>
      <DialogPrimitive.Overlay className="fixed inset-0 z-50 bg-overlay" />
      <DialogPrimitive.Content className={cn(dialogContentVariants({ size }), className)} {...props}>
        {children}
        {showClose ? (
          <DialogPrimitive.Close
            className="absolute top-4 right-4 inline-grid size-9 place-items-center rounded-full text-muted-foreground hover:bg-hover hover:text-foreground"
            aria-label="Close"
          >
            <CloseIcon />
          </DialogPrimitive.Close>
        ) : null}
      </DialogPrimitive.Content>
    </DialogPrimitive.Portal>
  );
}

export function DialogHeader({ className, ...props }: ComponentProps<"header">) {
  return <header className={cn("flex flex-col pt-[1.3rem] pr-14 pb-[0.8rem] pl-6", className)} {...props} />;
}

const dialogFooterVariants = cva("flex gap-2 px-6 pt-4 pb-5", {
  /** `between`: one action at each end (e.g. a destructive one apart from the rest). */
  variants: { align: { end: "justify-end", between: "justify-between" } },
  defaultVariants: { align: "end" },
});

export function DialogFooter({ className, align, ...props }: ComponentProps<"footer"> & VariantProps<typeof dialogFooterVariants>) {
  return <footer className={cn(dialogFooterVariants({ align }), className)} {...props} />;
}

const dialogTitleVariants = cva("font-bold", {
  variants: { size: { default: "text-[1.1rem]", sm: "text-base" } },
  defaultVariants: { size: "default" },
});

export function DialogTitle({
  className,
  size,
  ...props
}: ComponentProps<typeof DialogPrimitive.Title> & VariantProps<typeof dialogTitleVariants>) {
  return <DialogPrimitive.Title className={cn(dialogTitleVariants({ size }), className)} {...props} />;
}

export function DialogDescription({ className, ...props }: ComponentProps<typeof DialogPrimitive.Description>) {
  return <DialogPrimitive.Description className={cn("text-sm text-muted-foreground", className)} {...props} />;
}
