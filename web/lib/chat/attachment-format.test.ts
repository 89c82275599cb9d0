import { beforeAll, describe, expect, it } from "vitest";
import { attachmentUrl, fitWithin, formatBytes, previewText, typeLabel } from "./attachment-format";
import { loadFormatter } from "./message-format";

// Markdown previews need marked, which the page loads on first use.
beforeAll(() => loadFormatter());

describe("attachment format", () => {
  it("when sizes are shown, then they read as people read them", () => {
    expect([0, 512, 2048, 14_500, 3.4 * 1024 * 1024, 25 * 1024 * 1024].map(formatBytes)).toEqual([
      "0 B",
      "512 B",
      "2 KB",
      "14 KB",
      "3.4 MB",
      "25 MB",
    ]);
  });

  it("when an image is placed, then it keeps its ratio and is only ever scaled down", () => {
    expect(fitWithin(4000, 3000, 320)).toEqual({ width: 320, height: 240 });
    expect(fitWithin(300, 1200, 320)).toEqual({ width: 80, height: 320 });
    expect(fitWithin(100, 50, 320)).toEqual({ width: 100, height: 50 });
  });

  it("when an attachment is linked, then the route names its id and variant", () => {
    expect(attachmentUrl("a b", "preview")).toBe("/api/chat/attachments/a%20b?variant=preview");
    expect(attachmentUrl("id", "download")).toBe("/api/chat/attachments/id?download=1");
    expect(attachmentUrl("id")).toBe("/api/chat/attachments/id");
  });

  it("when a type is labelled, then it is short", () => {
    expect(typeLabel("application/pdf", "r.pdf")).toBe("PDF");
    expect(typeLabel("application/octet-stream", "data.bin")).toBe("BIN");
    expect(typeLabel("image/svg+xml", "logo.svg")).toBe("SVG");
    expect(typeLabel("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "a.docx")).toBe("DOCX");
  });
});

describe("preview text", () => {
  const image = { id: "i", name: "a.png", contentType: "image/png", size: 1, kind: "image" as const, width: 1, height: 1 };
  const file = { id: "f", name: "notes.txt", contentType: "text/plain", size: 1, kind: "file" as const, width: null, height: null };

  it("when a message has files but no text, then its files stand in for it", () => {
    expect(previewText({ content: "hi", attachments: [image] })).toBe("hi");
    expect(previewText({ content: "", attachments: [image] })).toBe("📷 Photo");
    expect(previewText({ content: "", attachments: [file] })).toBe("📎 notes.txt");
    expect(previewText({ content: "", attachments: [image, image] })).toBe("📷 2 photos");
    expect(previewText({ content: "", attachments: [image, file] })).toBe("📎 2 files");
  });

  it("when a message's text has Markdown, then the preview is its plain text on one line", () => {
    expect(previewText({ content: "> **Done**, see `main`\n\nthanks", attachments: [image] })).toBe("Done, see main thanks");
  });
});
