import { Lexer } from "marked";
import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  formatMessage,
  isPlain,
  loadFormatter,
  MAX_FORMAT_DEPTH,
  parseMessage,
  plainText,
  safeHref,
  splitHighlight,
  type FormatNode,
} from "./message-format";

beforeAll(() => loadFormatter());

const paragraph = (...children: FormatNode[]): FormatNode => ({ type: "paragraph", children });
const text = (value: string): FormatNode => ({ type: "text", text: value });

/** Every link in a tree. */
function links(nodes: FormatNode[]): { href: string; text: string }[] {
  return nodes.flatMap((node) =>
    node.type === "link" ? [{ href: node.href, text: node.text }] : "children" in node ? links(node.children) : [],
  );
}

/** The text a reader sees, tags dropped. */
function visibleText(nodes: FormatNode[]): string {
  return nodes
    .map((node) =>
      node.type === "br" ? "\n" : "children" in node ? visibleText(node.children) : node.type === "codeBlock" ? node.text : node.text,
    )
    .join("");
}

describe("formatMessage", () => {
  it("when a message is plain text, then it is one paragraph of that text", () => {
    expect(formatMessage("hello there")).toEqual([paragraph(text("hello there"))]);
  });

  it("when a message has bold, italic, strikethrough and code, then each becomes its node", () => {
    expect(formatMessage("**bold** _it_ ~~gone~~ `x < y`")).toEqual([
      paragraph(
        { type: "strong", children: [text("bold")] },
        text(" "),
        { type: "em", children: [text("it")] },
        text(" "),
        { type: "del", children: [text("gone")] },
        text(" "),
        { type: "code", text: "x < y" },
      ),
    ]);
  });

  it("when a message has a fenced code block and a quote, then they are blocks; line breaks are kept", () => {
    expect(formatMessage("> quoted **bit**\n\n```ts\nconst a = 1;\n```\nline one\nline two")).toEqual([
      { type: "quote", children: [paragraph(text("quoted "), { type: "strong", children: [text("bit")] })] },
      { type: "codeBlock", text: "const a = 1;", lang: "ts" },
      paragraph(text("line one"), { type: "br" }, text("line two")),
    ]);
  });

  it("when a message has bare http, https, www and email addresses, then they become links", () => {
    expect(links(formatMessage("see https://example.com/a?b=1 and http://x.org, www.y.net or ann@example.com"))).toEqual([
      { href: "https://example.com/a?b=1", text: "https://example.com/a?b=1" },
      { href: "http://x.org/", text: "http://x.org" },
      { href: "http://www.y.net/", text: "www.y.net" },
      { href: "mailto:ann@example.com", text: "ann@example.com" },
    ]);
  });

  it("when a message has javascript:, data: or markdown links, then no link is made and the text stays as typed", () => {
    const content =
      "[click](javascript:alert(1)) <javascript:alert(1)> [x](https://evil.example) ![i](https://e.example/p.png) data:text/html,<b>";
    const nodes = formatMessage(content);
    expect(links(nodes)).toEqual([]);
    expect(visibleText(nodes)).toBe(content);
  });

  it("when a message has HTML tags, then they are text, never elements", () => {
    const content = '<img src=x onerror="alert(1)"> <script>alert(1)</script> <b>hi</b>';
    expect(visibleText(formatMessage(content))).toBe(content);
    expect(JSON.stringify(formatMessage(content))).not.toMatch(/"type":"(html|image)"/);
  });

  it("when a message has headings, lists or tables, then they are shown as typed", () => {
    for (const content of ["# Title", "- one\n- two", "1. first", "| a | b |\n| - | - |\n| 1 | 2 |", "---"]) {
      expect(visibleText(formatMessage(content))).toBe(content);
    }
  });

  it("when quotes or emphasis nest deeper than the limit, then the rest is shown as typed", () => {
    const deep = formatMessage(">".repeat(MAX_FORMAT_DEPTH + 4) + " deep");
    let depth = 0;
    let node = deep[0];
    while (node?.type === "quote") {
      depth += 1;
      node = node.children[0];
    }
    expect(depth).toBe(MAX_FORMAT_DEPTH);
    expect(visibleText(deep)).toContain("deep");
  });

  it("when nesting is huge (thousands of quotes or list markers), then the message is plain text, not a crash", () => {
    for (const content of [">".repeat(3000) + " x", "- ".repeat(1999) + "x", "[".repeat(4000)]) {
      const nodes = formatMessage(content);
      expect(visibleText(nodes).replace(/\s/g, "")).toBe(content.replace(/\s/g, ""));
    }
  });

  it("when emphasis nests a thousand levels deep, then the tree stops at the limit and the text is still there", () => {
    const nodes = formatMessage("*_".repeat(1000) + "x" + "_*".repeat(1000));
    const depth = (list: FormatNode[]): number => Math.max(0, ...list.map((node) => ("children" in node ? 1 + depth(node.children) : 0)));
    expect(depth(nodes)).toBeLessThanOrEqual(MAX_FORMAT_DEPTH + 1);
    expect(visibleText(nodes)).toContain("x");
  });

  it("when entities are typed, then they are shown as typed, not decoded", () => {
    expect(visibleText(formatMessage("a &amp; b &lt;b&gt;"))).toBe("a &amp; b &lt;b&gt;");
  });
});

describe("plainText", () => {
  it("when a message has bold, italic, strikethrough and code, then the preview is their text without the markers", () => {
    expect(plainText("**bold** _it_ ~~gone~~ `x < y`")).toBe("bold it gone x < y");
  });

  it("when a message has quotes, code blocks and line breaks, then it is one line, whitespace collapsed", () => {
    expect(plainText("> quoted **bit**\n> more\n\n```ts\nconst a = 1;\n\nconst b = 2;\n```\nline one\n   line two  ")).toBe(
      "quoted bit more const a = 1; const b = 2; line one line two",
    );
  });

  it("when a message has a bare link, then the preview shows its text", () => {
    expect(plainText("see **<https://example.com/a>** or ann@example.com")).toBe("see https://example.com/a or ann@example.com");
  });

  it("when the bubble shows something as typed ([text](url), lists, headings, HTML, entities), then so does the preview", () => {
    // A [text](url) link is not a link in the bubble (it would hide where it goes): the preview must not hide it either.
    expect(plainText("[x](https://evil.example) <b>hi</b> &amp;")).toBe("[x](https://evil.example) <b>hi</b> &amp;");
    expect(plainText("# Plan\n\n- one\n- **two**")).toBe("# Plan - one - **two**");
  });

  it("when markers are escaped or unbalanced (a cut excerpt), then they stay as the bubble shows them", () => {
    expect(plainText("\\*not bold\\* and **cut")).toBe("*not bold* and **cut");
  });

  it("when the formatting leaves nothing (an empty code block), then the text as typed is shown rather than nothing", () => {
    expect(plainText("```\n```")).toBe("``` ```");
  });

  it("when nesting overflows the parser, then the preview is the text, not a crash", () => {
    expect(plainText(">".repeat(3000) + " deep")).toContain("deep");
  });
});

describe("safeHref", () => {
  it("when the protocol is http, https or mailto, then the URL is kept", () => {
    expect(safeHref("https://example.com/x")).toBe("https://example.com/x");
    expect(safeHref("mailto:a@b.co")).toBe("mailto:a@b.co");
  });

  it("when the URL is javascript:, data:, vbscript:, relative or disguised, then there is no link", () => {
    for (const href of [
      "javascript:alert(1)",
      " JaVaScRiPt:alert(1)",
      "java\nscript:alert(1)",
      "data:text/html,x",
      "vbscript:x",
      "/relative",
      "//evil.example",
    ]) {
      expect(safeHref(href)).toBeNull();
    }
  });
});

describe("splitHighlight", () => {
  it("when the highlight marks matches, then they become match segments", () => {
    expect(splitHighlight("the \uE000quick\uE001 brown \uE000fox\uE001")).toEqual([
      { text: "the ", match: false },
      { text: "quick", match: true },
      { text: " brown ", match: false },
      { text: "fox", match: true },
    ]);
  });

  it("when markers are unbalanced or the text has tags, then markers are dropped and tags stay text", () => {
    expect(splitHighlight("\uE001<b>\uE000x")).toEqual([
      { text: "<b>", match: false },
      { text: "x", match: true },
    ]);
  });
});

describe("the formatter loaded on first use", () => {
  it("when marked is not in yet, then a formatted message shows as typed, line breaks kept, and subscribers hear when it is in", async () => {
    vi.resetModules();
    const fresh = await import("./message-format");
    const heard = vi.fn();
    fresh.subscribeFormatter(heard);
    expect(fresh.formatterReady()).toBe(false);
    expect(fresh.formatMessage("**hi**\nthere")).toEqual([paragraph(text("**hi**"), { type: "br" }, text("there"))]);
    // A plain text needs no formatter at all.
    expect(fresh.formatterFor("just words, 42 of them.")).toBeNull();
    await fresh.formatterFor("**hi**");
    expect(heard).toHaveBeenCalledTimes(1);
    expect(fresh.formatterReady()).toBe(true);
    expect(fresh.formatMessage("**hi**")).toEqual([paragraph({ type: "strong", children: [text("hi")] })]);
    expect(fresh.formatterFor("**hi**")).toBeNull();
  });

  it("when a text is plain by isPlain, then marked reads it as one paragraph of itself (generated texts)", () => {
    // Letters, digits, spaces and the punctuation people type, with every Markdown sign mixed in:
    // each text isPlain accepts must come out of marked exactly as the fast path returns it.
    const alphabet = [..."abcXYZ019 .,;:?'\"()-+=/%$€£°é日🙂", ..."*_~`\\<>&[]!#|@\n\t", "://", "www.", "mailto:", "1. ", "- ", "    "];
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const lexer = (content: string) => new Lexer({ gfm: true, breaks: true }).lex(content);
    let plain = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(random() * 24);
      const content = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      if (!isPlain(content)) continue;
      plain++;
      expect(parseMessage(content, lexer), JSON.stringify(content)).toEqual([paragraph(text(content))]);
    }
    expect(plain).toBeGreaterThan(1000);
  });

  it("when a text has a Markdown sign, a line break or surrounding spaces, then it is not plain", () => {
    for (const content of [
      "**a**",
      "a_b",
      "`x`",
      "> q",
      "a\nb",
      " a",
      "a ",
      "x@y.z",
      "www.a.b",
      "http://a",
      "<a>",
      "&amp;",
      "[a](b)",
      "# h",
      "a|b",
      "",
    ]) {
      expect(isPlain(content), JSON.stringify(content)).toBe(false);
    }
  });
});
