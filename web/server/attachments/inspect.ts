import "server-only";
import { fileTypeFromBuffer } from "file-type";
import sharp from "sharp";

/** Enough of the head of a file for file-type to recognise every format it knows. */
export const SNIFF_BYTES = 4100;

/**
 * Raster formats shown inline (as <img>) once sharp has decoded them. Everything else (SVG,
 * HTML, PDF, executables…) is a "file": served as a download, never rendered by the browser.
 */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]);

/** Largest image decoded, in pixels (a decompression bomb declares far more: it stays a file). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Longest side of a preview; its format is always WebP. */
export const PREVIEW_MAX_SIDE = 1024;
export const PREVIEW_CONTENT_TYPE = "image/webp";
// libvips gives up after this; a slow image stays a file instead of holding a thread.
const IMAGE_TIMEOUT_SECONDS = 10;
// Images decoded at once per process; the rest wait (sharp's threads are shared by every request).
const IMAGE_CONCURRENCY = 2;

/** The content type the bytes say they are (file-type's magic numbers); never the client's claim. */
export async function sniffContentType(head: Uint8Array): Promise<string> {
  const result = await fileTypeFromBuffer(head.subarray(0, SNIFF_BYTES));
  return result?.mime ?? "application/octet-stream";
}

export interface ImageInfo {
  /** As displayed (EXIF orientation applied). */
  width: number;
  height: number;
  preview: Buffer;
}

/**
 * Decodes an image of a sniffed inline type and makes its preview, bounded in pixels (from the
 * header, before decoding) and in time. Null when it cannot be decoded within those bounds:
 * the attachment is then a plain file.
 */
export async function inspectImage(bytes: Uint8Array): Promise<ImageInfo | null> {
  return withImageSlot(async () => {
    const options = { limitInputPixels: MAX_IMAGE_PIXELS, failOn: "error" as const, animated: false };
    try {
      const meta = await sharp(bytes, options).metadata();
      if (!meta.width || !meta.height || meta.width * meta.height > MAX_IMAGE_PIXELS) return null;
      const { data, info } = await sharp(bytes, options)
        .rotate()
        .resize(PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE, { fit: "inside", withoutEnlargement: true })
        .webp({ quality: 80 })
        .timeout({ seconds: IMAGE_TIMEOUT_SECONDS })
        .toBuffer({ resolveWithObject: true });
      const turned = (meta.orientation ?? 1) >= 5;
      if (!info.width || !info.height) return null;
      return { width: turned ? meta.height : meta.width, height: turned ? meta.width : meta.height, preview: data };
    } catch {
      // Corrupt, truncated, over the pixel limit or too slow: not an image we show.
      return null;
    }
  });
}

let running = 0;
const waiting: (() => void)[] = [];

async function withImageSlot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= IMAGE_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}
