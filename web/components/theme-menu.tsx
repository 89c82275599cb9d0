"use client";

import { useEffect, useRef, useState } from "react";
import { applyTheme, readTheme, type Theme } from "@/lib/theme";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { MonitorIcon, MoonIcon, SunIcon } from "@/components/ui/icons";
import { ThemeButton } from "./theme-button";

const CHOICES: { value: Theme; label: string; Icon: typeof SunIcon }[] = [
  { value: "light", label: "Light", Icon: SunIcon },
  { value: "dark", label: "Dark", Icon: MoonIcon },
  { value: "system", label: "System", Icon: MonitorIcon },
];

export interface ThemeMenuProps {
  /** Open the menu once mounted (it was clicked before this module had loaded). */
  defaultOpen?: boolean;
  /** Take the focus once mounted (the placeholder button had it). */
  focusOnMount?: boolean;
}

/** Light, dark, or the system's setting: a menu on the app bar's theme button. Loaded on demand (see ThemeToggle). */
export default function ThemeMenu({ defaultOpen = false, focusOnMount = false }: ThemeMenuProps) {
  const [theme, setTheme] = useState<Theme>(readTheme);
  const triggerRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (focusOnMount && !defaultOpen) triggerRef.current?.focus();
  }, [focusOnMount, defaultOpen]);

  return (
    <DropdownMenu defaultOpen={defaultOpen}>
      <DropdownMenuTrigger asChild>
        <ThemeButton ref={triggerRef} />
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" data-testid="theme-menu">
        <DropdownMenuLabel>Theme</DropdownMenuLabel>
        <DropdownMenuRadioGroup
          value={theme}
          onValueChange={(value) => {
            const next = value as Theme;
            applyTheme(next);
            setTheme(next);
          }}
        >
          {CHOICES.map(({ value, label, Icon }) => (
            <DropdownMenuRadioItem key={value} value={value} data-testid={`theme-${value}`}>
              <Icon className="text-muted-foreground" />
              {label}
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
