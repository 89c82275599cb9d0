import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";

// The brand mark as an inline SVG: no file to serve, and no /favicon.ico 404 in the console.
const ICON =
  "data:image/svg+xml," +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">' +
      '<stop offset="0" stop-color="#4f5bd5"/><stop offset="1" stop-color="#38a3e0"/></linearGradient></defs>' +
      '<path d="M9 2h14a7 7 0 0 1 7 7v10a7 7 0 0 1-7 7H12l-7 5v-6.5A7 7 0 0 1 2 19V9a7 7 0 0 1 7-7z" fill="url(#g)"/></svg>',
  );

export const metadata: Metadata = {
  title: { default: "Chat", template: "%s · Chat" },
  description: "Real-time one-to-one chat.",
  icons: { icon: ICON },
};

export const viewport: Viewport = {
  colorScheme: "light dark",
  themeColor: [
    { media: "(prefers-color-scheme: light)", color: "#f6f7f9" },
    { media: "(prefers-color-scheme: dark)", color: "#111318" },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
