import type { ComponentProps } from "react";

// The few icons the app draws, inline (no icon font or library to ship). Decorative: the control names itself.
type IconProps = ComponentProps<"svg">;

const iconProps = { viewBox: "0 0 20 20", "aria-hidden": true, focusable: false } as const;

export function CloseIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" {...props}>
      <path d="M5 5l10 10M15 5L5 15" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
    </svg>
  );
}

export function BackIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="20" height="20" {...props}>
      <path d="M12.5 4.5L7 10l5.5 5.5" stroke="currentColor" strokeWidth="2" fill="none" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function SendIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" {...props}>
      <path
        d="M3.4 2.6a.9.9 0 0 0-1.2 1.1L4.3 9.2a.9.9 0 0 0 .8.6l6.4.2-6.4.2a.9.9 0 0 0-.8.6l-2.1 5.5a.9.9 0 0 0 1.2 1.1l14.2-6.6a.9.9 0 0 0 0-1.6z"
        fill="currentColor"
      />
    </svg>
  );
}

export function SearchIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" {...props}>
      <circle cx="9" cy="9" r="5.5" />
      <path d="M13.2 13.2L17 17" />
    </svg>
  );
}

export function CheckIcon(props: IconProps) {
  return (
    <svg
      {...iconProps}
      width="14"
      height="14"
      fill="none"
      stroke="currentColor"
      strokeWidth="2.2"
      strokeLinecap="round"
      strokeLinejoin="round"
      {...props}
    >
      <path d="M4.5 10.5l3.5 3.5 7.5-8" />
    </svg>
  );
}

export function SunIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" {...props}>
      <circle cx="10" cy="10" r="3.5" />
      <path d="M10 2v1.5M10 16.5V18M2 10h1.5M16.5 10H18M4.3 4.3l1.1 1.1M14.6 14.6l1.1 1.1M4.3 15.7l1.1-1.1M14.6 5.4l1.1-1.1" />
    </svg>
  );
}

export function MoonIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinejoin="round" {...props}>
      <path d="M16.5 12.3A7 7 0 0 1 7.7 3.5a7 7 0 1 0 8.8 8.8z" />
    </svg>
  );
}

export function MonitorIcon(props: IconProps) {
  return (
    <svg
      {...iconProps}
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      {...props}
    >
      <rect x="2.5" y="3.5" width="15" height="10" rx="1.5" />
      <path d="M7 17h6M10 13.5V17" />
    </svg>
  );
}

export function PeopleIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" {...props}>
      <circle cx="7.5" cy="7" r="2.8" />
      <path d="M2.5 16c.6-2.8 2.6-4.3 5-4.3s4.4 1.5 5 4.3" />
      <path d="M13 4.6a2.6 2.6 0 010 4.9M14.6 11.9c1.5.5 2.5 1.8 2.9 4.1" />
    </svg>
  );
}

export function PlusIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="16" height="16" {...props}>
      <path d="M10 4v12M4 10h12" stroke="currentColor" strokeWidth="1.9" strokeLinecap="round" />
    </svg>
  );
}

export function MoreIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" {...props}>
      <circle cx="4.5" cy="10" r="1.6" fill="currentColor" />
      <circle cx="10" cy="10" r="1.6" fill="currentColor" />
      <circle cx="15.5" cy="10" r="1.6" fill="currentColor" />
    </svg>
  );
}

export function PaperclipIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="18" height="18" fill="none" stroke="currentColor" strokeWidth="1.7" strokeLinecap="round" {...props}>
      <path d="M15.5 9.4l-5.6 5.6a3.6 3.6 0 01-5.1-5.1l6.1-6.1a2.4 2.4 0 013.4 3.4l-6 6a1.2 1.2 0 01-1.7-1.7l5.4-5.4" />
    </svg>
  );
}

export function FileIcon(props: IconProps) {
  return (
    <svg {...iconProps} width="20" height="20" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" {...props}>
      <path d="M5 2.5h6.5L15.5 6.5v11H5z" />
      <path d="M11.5 2.5v4h4" />
    </svg>
  );
}

export function DownloadIcon(props: IconProps) {
  return (
    <svg
      {...iconProps}
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      {...props}
    >
      <path d="M10 3v9.5M6 8.5l4 4 4-4M4 16.5h12" />
    </svg>
  );
}
