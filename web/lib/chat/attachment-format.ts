import type { ChatMessage } from "@/lib/types";
import { plainText } from "./message-format";

/** A file size as people read it: "512 B", "14 KB", "3.4 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1).replace(/\.0$/, "") : Math.round(value)} ${units[unit]}`;
}

/** An attachment's bytes through the authorised route: the image preview, the file inline, or as a download. */
export function attachmentUrl(id: string, variant: "preview" | "original" | "download" = "original"): string {
  const path = `/api/chat/attachments/${encodeURIComponent(id)}`;
  if (variant === "preview") return `${path}?variant=preview`;
  if (variant === "download") return `${path}?download=1`;
  return path;
}

/** The size an image shows at in the list: its own, scaled down (never up) to fit `max` × `max`. */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / width, max / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** A short type label: "PDF", "ZIP", or the subtype of anything else ("octet-stream" reads as "File"). */
export function typeLabel(contentType: string, name: string): string {
  const extension = /\.([a-z0-9]{1,8})$/i.exec(name)?.[1];
  if (contentType === "application/octet-stream") return extension ? extension.toUpperCase() : "File";
  const subtype = contentType.split("/")[1]?.split(/[;+]/)[0] ?? "";
  return subtype.length > 0 && subtype.length <= 8 ? subtype.toUpperCase() : (extension?.toUpperCase() ?? contentType);
}

/**
 * A message as one plain line, for previews (the conversation list, notifications, the reply
 * bar): its text without the Markdown; its files stand in when it has no text.
 */
export function previewText(message: Pick<ChatMessage, "content" | "attachments">): string {
  if (message.content || !message.attachments?.length) return plainText(message.content);
  const [first] = message.attachments;
  const images = message.attachments.filter((attachment) => attachment.kind === "image").length;
  if (message.attachments.length === 1) return images === 1 ? "📷 Photo" : `📎 ${first!.name}`;
  return images === message.attachments.length ? `📷 ${images} photos` : `📎 ${message.attachments.length} files`;
}
