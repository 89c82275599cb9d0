import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { buildElf, buildPng, buildPngBomb, HTML_PAGE } from "../../test/support/files";
import { inspectImage, PREVIEW_MAX_SIDE, sniffContentType } from "./inspect";

describe("sniffContentType", () => {
  it("when the bytes are a PNG, then image/png", async () => {
    expect(await sniffContentType(await buildPng(10, 10))).toBe("image/png");
  });

  it("when an executable is renamed to .jpg, then the bytes say what it is", async () => {
    expect(await sniffContentType(buildElf())).toBe("application/x-elf");
  });

  it("when an HTML page is named .png, then application/octet-stream (text formats are never guessed)", async () => {
    expect(await sniffContentType(HTML_PAGE)).toBe("application/octet-stream");
  });
});

describe("inspectImage", () => {
  it("when the image is large, then its size as displayed and a WebP preview that fits 1024 px", async () => {
    const info = await inspectImage(await buildPng(3000, 1500));
    expect(info).toMatchObject({ width: 3000, height: 1500 });
    const preview = await sharp(info!.preview).metadata();
    expect(preview).toMatchObject({ format: "webp", width: PREVIEW_MAX_SIDE, height: PREVIEW_MAX_SIDE / 2 });
  });

  it("when a photo is rotated by EXIF, then width and height are as displayed", async () => {
    const rotated = await sharp(await buildPng(400, 200))
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await inspectImage(rotated)).toMatchObject({ width: 200, height: 400 });
  });

  it("when a PNG declares 2.5 gigapixels (a decompression bomb), then it is not decoded: null, at once", async () => {
    const bomb = buildPngBomb();
    expect(bomb.byteLength).toBeLessThan(200_000);
    const started = performance.now();
    expect(await inspectImage(bomb)).toBeNull();
    // Not a timing assertion on the result: a decoded bomb would take minutes and gigabytes.
    expect(performance.now() - started).toBeLessThan(30_000);
  });

  it("when the bytes are truncated, then null (a plain file)", async () => {
    const png = await buildPng(200, 200);
    expect(await inspectImage(png.subarray(0, 100))).toBeNull();
  });
});
