import type { ComponentProps } from "react";
import { Button } from "@/components/ui/button";
import { MoonIcon, SunIcon } from "@/components/ui/icons";

/** The app bar's theme button: a sun in light mode, a moon in dark mode (CSS picks which). */
export function ThemeButton(props: ComponentProps<typeof Button>) {
  return (
    <Button variant="ghost" size="icon" data-testid="theme-button" aria-label="Theme" {...props}>
      <SunIcon className="dark:hidden" />
      <MoonIcon className="hidden dark:block" />
    </Button>
  );
}
