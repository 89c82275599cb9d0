"use client";

import type { ComponentProps } from "react";
import * as DropdownMenuPrimitive from "@radix-ui/react-dropdown-menu";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";
import { CheckIcon } from "./icons";

export const DropdownMenu = DropdownMenuPrimitive.Root;
export const DropdownMenuTrigger = DropdownMenuPrimitive.Trigger;
export const DropdownMenuGroup = DropdownMenuPrimitive.Group;
export const DropdownMenuRadioGroup = DropdownMenuPrimitive.RadioGroup;

/** A menu (Radix: arrow keys, typeahead, Escape, focus back to the trigger). */
export function DropdownMenuContent({ className, sideOffset = 6, ...props }: ComponentProps<typeof DropdownMenuPrimitive.Content>) {
  return (
    <DropdownMenuPrimitive.Portal>
      <DropdownMenuPrimitive.Content
        sideOffset={sideOffset}
        className={cn(
          "z-50 min-w-[11rem] overflow-hidden rounded-xl border border-border bg-card p-1 text-foreground shadow-elevation-lg data-[state=open]:animate-rise",
          className,
        )}
        {...props}
      />
    </DropdownMenuPrimitive.Portal>
  );
}

const menuItemVariants = cva(
  "relative flex cursor-pointer items-center gap-2 rounded-lg py-1.5 outline-none select-none data-[disabled]:pointer-events-none data-[disabled]:opacity-55",
  {
    variants: {
      variant: {
        default: "data-[highlighted]:bg-hover",
        destructive: "text-destructive data-[highlighted]:bg-destructive-soft",
      },
      size: {
        default: "px-2.5 text-sm",
        /** One emoji, centred (the reaction row). */
        emoji: "justify-center px-2 text-lg",
      },
    },
    defaultVariants: { variant: "default", size: "default" },
  },
);
const itemClassName = menuItemVariants();

export function DropdownMenuItem({
  className,
  variant,
  size,
  ...props
}: ComponentProps<typeof DropdownMenuPrimitive.Item> & VariantProps<typeof menuItemVariants>) {
  return <DropdownMenuPrimitive.Item className={cn(menuItemVariants({ variant, size }), className)} {...props} />;
}

/** An item with a check mark; a list of them picks several (e.g. people for a group). */
export function DropdownMenuCheckboxItem({ className, children, ...props }: ComponentProps<typeof DropdownMenuPrimitive.CheckboxItem>) {
  return (
    <DropdownMenuPrimitive.CheckboxItem className={cn(itemClassName, "pl-8", className)} {...props}>
      <span className="absolute left-2.5 inline-flex">
        <DropdownMenuPrimitive.ItemIndicator>
          <CheckIcon />
        </DropdownMenuPrimitive.ItemIndicator>
      </span>
      {children}
    </DropdownMenuPrimitive.CheckboxItem>
  );
}

/** One choice of a DropdownMenuRadioGroup, checked when it is the group's value. */
export function DropdownMenuRadioItem({ className, children, ...props }: ComponentProps<typeof DropdownMenuPrimitive.RadioItem>) {
  return (
    <DropdownMenuPrimitive.RadioItem className={cn(itemClassName, "pr-8", className)} {...props}>
      {children}
      <span className="absolute right-2.5 inline-flex text-primary">
        <DropdownMenuPrimitive.ItemIndicator>
          <CheckIcon />
        </DropdownMenuPrimitive.ItemIndicator>
      </span>
    </DropdownMenuPrimitive.RadioItem>
  );
}

export function DropdownMenuLabel({ className, ...props }: ComponentProps<typeof DropdownMenuPrimitive.Label>) {
  return <DropdownMenuPrimitive.Label className={cn("px-2.5 py-1.5 text-xs font-semibold text-muted-foreground", className)} {...props} />;
}

export function DropdownMenuSeparator({ className, ...props }: ComponentProps<typeof DropdownMenuPrimitive.Separator>) {
  return <DropdownMenuPrimitive.Separator className={cn("-mx-1 my-1 h-px bg-border", className)} {...props} />;
}

export const DropdownMenuSub = DropdownMenuPrimitive.Sub;

/** Opens a submenu (right arrow, or hover). */
export function DropdownMenuSubTrigger({ className, children, ...props }: ComponentProps<typeof DropdownMenuPrimitive.SubTrigger>) {
  return (
    <DropdownMenuPrimitive.SubTrigger className={cn(itemClassName, "data-[state=open]:bg-hover", className)} {...props}>
      {children}
      <svg className="ml-auto text-muted-foreground" viewBox="0 0 20 20" width="14" height="14" aria-hidden="true" focusable="false">
        <path d="M7.5 4.5L13 10l-5.5 5.5" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
    </DropdownMenuPrimitive.SubTrigger>
  );
}

export function DropdownMenuSubContent({ className, ...props }: ComponentProps<typeof DropdownMenuPrimitive.SubContent>) {
  return (
    <DropdownMenuPrimitive.Portal>
      <DropdownMenuPrimitive.SubContent
        className={cn("z-50 overflow-hidden rounded-xl border border-border bg-card p-1 text-foreground shadow-elevation-lg", className)}
        {...props}
      />
    </DropdownMenuPrimitive.Portal>
  );
}
