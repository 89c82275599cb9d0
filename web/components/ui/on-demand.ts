import { startTransition, useRef, useState, type FocusEvent, type KeyboardEvent } from "react";

// Menus and dialogs (Radix) are not needed for the first paint. Their modules are fetched when the
// user points at or focuses the control that opens them, and mounted when it is used.

type Load = () => Promise<unknown>;

const preload = (load: Load) => ({ onPointerEnter: () => void load(), onFocus: () => void load() });

/**
 * A dialog loaded on first use: props for the button that opens it, and the dialog's state.
 * Render the dialog (lazy, in Suspense) once `used`; give it `open`, `setOpen`, and `triggerRef`
 * to return the focus to (it has no Radix trigger).
 */
export function useDialogOnDemand(load: Load) {
  const [open, setOpen] = useState(false);
  const [used, setUsed] = useState(false);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const triggerProps = {
    ref: triggerRef,
    "aria-haspopup": "dialog",
    "aria-expanded": open,
    ...preload(load),
    onClick: () => {
      setUsed(true);
      setOpen(true);
    },
  } as const;
  return { used, open, setOpen, triggerRef, triggerProps };
}

/** Given to a menu loaded on first use: how it was opened. */
export interface MenuOnDemandProps {
  /** By Enter, Space or ArrowDown: the first item takes the focus, as with Radix's own trigger. */
  openedWithKeyboard: boolean;
}

/**
 * A menu loaded on first use. Until then its trigger is a plain button with `triggerProps`: it
 * looks and answers like Radix's (click, Enter, Space or ArrowDown open it). Once `opened`, render
 * the loaded menu in its place, mounted open (`<DropdownMenu defaultOpen>`), with `opened` as props.
 */
export function useMenuOnDemand(load: Load) {
  const [opened, setOpened] = useState<MenuOnDemandProps | null>(null);
  const open = (openedWithKeyboard: boolean) => {
    void load();
    // A transition keeps the plain button (and its focus) in place until the module is in, when the
    // Suspense boundary around it already exists. The first way in wins (Space's keyup also clicks).
    startTransition(() => setOpened((current) => current ?? { openedWithKeyboard }));
  };
  const triggerProps = {
    "aria-haspopup": "menu",
    "aria-expanded": false,
    "data-state": "closed",
    ...preload(load),
    onClick: () => open(false),
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key === "Enter" || event.key === " " || event.key === "ArrowDown") {
        event.preventDefault();
        open(true);
      }
    },
  } as const;
  return { opened, triggerProps };
}

/**
 * The `onFocus` of a menu loaded on first use (on its DropdownMenuContent). Radix focuses the first
 * item when it saw the keyboard open the menu, but it was not listening yet when the plain button
 * was pressed: on that first opening, when Radix focuses the menu itself, this moves the focus on
 * to the first item. Later openings are Radix's own.
 */
export function useFirstOpenFocus({ openedWithKeyboard }: MenuOnDemandProps) {
  const pending = useRef(openedWithKeyboard);
  return (event: FocusEvent<HTMLElement>) => {
    if (!pending.current || event.target !== event.currentTarget) return;
    pending.current = false;
    event.currentTarget.querySelector<HTMLElement>('[role^="menuitem"]:not([data-disabled])')?.focus({ preventScroll: true });
  };
}
