"use client";

import { useState, type ComponentProps } from "react";
import { cva, type VariantProps } from "class-variance-authority";
import { cn } from "@/lib/utils";

export const avatarVariants = cva("inline-grid flex-none select-none place-items-center rounded-full font-bold tracking-[0.02em]", {
  variants: {
    /** `none`: the caller sets the size and the initials' font size. */
    size: {
      sm: "size-[30px] text-[0.7rem]",
      md: "size-[42px] text-[0.85rem]",
      lg: "size-14 text-[1.1rem]",
      none: "",
    },
    /** `none`: the caller colours it. */
    tone: {
      muted: "bg-muted text-muted-foreground",
      none: "",
    },
    /** `absolute`: placed by the caller (overlapping avatars); either way the presence dot and the image sit inside it. */
    position: {
      relative: "relative",
      absolute: "absolute",
    },
  },
  defaultVariants: { size: "md", tone: "muted", position: "relative" },
});

/** A round avatar: put an AvatarFallback (initials) in it, and an AvatarImage over it when there is a picture. */
export function Avatar({ className, size, tone, position, ...props }: ComponentProps<"span"> & VariantProps<typeof avatarVariants>) {
  return <span className={cn(avatarVariants({ size, tone, position }), className)} {...props} />;
}

/** The picture, over the fallback; it hides itself when it fails to load, so the initials show. */
export function AvatarImage({ className, alt = "", onError, ...props }: ComponentProps<"img">) {
  const [failed, setFailed] = useState(false);
  if (failed || !props.src) return null;
  return (
    // eslint-disable-next-line @next/next/no-img-element -- user pictures come from any host, at avatar size
    <img
      alt={alt}
      className={cn("absolute inset-0 size-full rounded-full object-cover", className)}
      onError={(event) => {
        setFailed(true);
        onError?.(event);
      }}
      {...props}
    />
  );
}

export function AvatarFallback({ className, ...props }: ComponentProps<"span">) {
  return <span className={cn("leading-none", className)} {...props} />;
}
