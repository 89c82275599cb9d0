"use client";

import { useState } from "react";
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
import { useFirstOpenFocus, type MenuOnDemandProps } from "@/components/ui/on-demand";
import { ThemeButton } from "./theme-button";

const CHOICES: { value: Theme; label: string; Icon: typeof SunIcon }[] = [
  { value: "light", label: "Light", Icon: SunIcon },
  { value: "dark", label: "Dark", Icon: MoonIcon },
  { value: "system", label: "System", Icon: MonitorIcon },
];

/**
 * Light, dark, or the system's setting: a menu on the app bar's theme button. Loaded on demand
 * and mounted open (see ThemeToggle).
 */
export default function ThemeMenu(props: MenuOnDemandProps) {
  const [theme, setTheme] = useState<Theme>(readTheme);
  const onFocus = useFirstOpenFocus(props);

  return (
    <DropdownMenu defaultOpen>
      <DropdownMenuTrigger asChild>
        <ThemeButton />
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" data-testid="theme-menu" onFocus={onFocus}>
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
