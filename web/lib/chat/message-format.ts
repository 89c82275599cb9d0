import type { Token, Tokens } from "marked";

// A message's text as a small tree of the formatting chat allows: bold, italic, strikethrough,
// inline code, fenced code blocks, quotes, line breaks, and links for bare URLs (http, https and
// mailto only). marked's lexer (GFM) does the parsing; only the allowed tokens are mapped, and
// everything else (headings, lists, tables, images, [text](url) links, HTML) stays the text the
// sender typed. The tree holds strings only: message-content.tsx renders it as React elements,
// never as HTML.
//
// marked is 16 kB of the chat page's JavaScript (gzipped), and most messages need none of it:
// a text with no character that Markdown could act on is one paragraph of itself (isPlain;
// message-format.test.ts checks that against marked on many generated texts). So marked loads on
// first use, when a message that needs it is shown; until then (a few milliseconds) that message
// shows as typed, and the components that subscribe (subscribeFormatter) render it again.

export type FormatNode =
  | { type: "text"; text: string }
  | { type: "br" }
  | { type: "code"; text: string }
  | { type: "codeBlock"; text: string; lang: string | null }
  | { type: "link"; href: string; text: string }
  | { type: "strong" | "em" | "del" | "paragraph" | "quote"; children: FormatNode[] };

/** Deeper quotes or emphasis than this are shown as typed (a chat needs no more, and React recursion stays shallow). */
export const MAX_FORMAT_DEPTH = 8;

const ALLOWED_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

/** The link's address when it is an absolute http, https or mailto URL; null for anything else (javascript:, data:, relative…). */
export function safeHref(href: string): string | null {
  if (!URL.canParse(href)) return null;
  const url = new URL(href);
  return ALLOWED_PROTOCOLS.has(url.protocol) ? url.href : null;
}

const text = (value: string): FormatNode => ({ type: "text", text: value });

function inline(tokens: Token[] | undefined, depth: number): FormatNode[] {
  return (tokens ?? []).map((token) => inlineNode(token, depth));
}

function inlineNode(token: Token, depth: number): FormatNode {
  switch (token.type) {
    case "text":
    case "escape":
      // A block-level text token (inside a list item, which is shown as typed) carries no children here.
      return text((token as Tokens.Text | Tokens.Escape).text);
    case "br":
      return { type: "br" };
    case "codespan":
      return { type: "code", text: (token as Tokens.Codespan).text };
    case "strong":
    case "em":
    case "del":
      if (depth >= MAX_FORMAT_DEPTH) return text(token.raw);
      return { type: token.type, children: inline((token as Tokens.Strong).tokens, depth + 1) };
    case "link": {
      // Only bare URLs (and <url>) become links, so a link always shows where it goes:
      // [text](url) stays as typed.
      const link = token as Tokens.Link;
      const href = link.autolink ? safeHref(link.href) : null;
      return href ? { type: "link", href, text: link.text } : text(token.raw);
    }
    default:
      return text(token.raw);
  }
}

function blocks(tokens: Token[], depth: number): FormatNode[] {
  const nodes: FormatNode[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case "space":
        break;
      case "paragraph":
        nodes.push({ type: "paragraph", children: inline((token as Tokens.Paragraph).tokens, depth) });
        break;
      case "blockquote":
        nodes.push(
          depth >= MAX_FORMAT_DEPTH
            ? { type: "paragraph", children: [text(token.raw.trimEnd())] }
            : { type: "quote", children: blocks((token as Tokens.Blockquote).tokens, depth + 1) },
        );
        break;
      case "code": {
        const code = token as Tokens.Code;
        nodes.push(
          code.codeBlockStyle === "indented"
            ? { type: "paragraph", children: [text(token.raw.trimEnd())] }
            : { type: "codeBlock", text: code.text, lang: code.lang || null },
        );
        break;
      }
      default:
        // Headings, lists, tables, rules, HTML: the text as typed.
        nodes.push({ type: "paragraph", children: [text(token.raw.replace(/\n+$/, ""))] });
    }
  }
  return nodes;
}

type Lex = (content: string) => Token[];
let lex: Lex | null = null;
let loading: Promise<void> | null = null;
const listeners = new Set<() => void>();

/** Loads marked once (again after a failed load); resolves when formatting is synchronous. */
export function loadFormatter(): Promise<void> {
  loading ??= import("marked").then(
    ({ Lexer }) => {
      lex = (content) => new Lexer({ gfm: true, breaks: true }).lex(content);
      for (const listener of listeners) listener();
    },
    (error: unknown) => {
      loading = null;
      throw error;
    },
  );
  return loading;
}

/** Whether marked is in: what a component reads (with subscribeFormatter) to render again once it is. */
export function formatterReady(): boolean {
  return lex !== null;
}

/** Calls `listener` once marked has loaded; returns the unsubscribe function. */
export function subscribeFormatter(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A promise to wait for before formatting `content`, or null when it can be formatted now. */
export function formatterFor(content: string): Promise<void> | null {
  return isPlain(content) || lex ? null : loadFormatter();
}

// Whatever GFM could read as formatting in one trimmed line: emphasis and code markers, escapes,
// HTML and autolinks (<…>, www., scheme://, emails), entities, link and image brackets, headings,
// tables, quotes, and any line break or tab. Conservative: a text that matches merely goes
// through marked.
const MARKDOWN_SIGNS = /[*_~`\\<>&[\]!#|@\n\r\t]|:\/\/|www\.|mailto:/i;

/** True when marked would make `content` one paragraph of its own text: no need to load it. */
export function isPlain(content: string): boolean {
  return content.length > 0 && content === content.trim() && !MARKDOWN_SIGNS.test(content);
}

/** The text as typed, line breaks kept: what a message shows until marked is in. */
function asTyped(content: string): FormatNode[] {
  const lines = content.split(/\r\n|\r|\n/);
  return [
    { type: "paragraph", children: lines.flatMap((line, index) => (index === 0 ? [text(line)] : [{ type: "br" as const }, text(line)])) },
  ];
}

/** The message's formatting tree (blocks: paragraphs, quotes, code blocks); as typed until marked is in (see above). */
export function formatMessage(content: string): FormatNode[] {
  if (isPlain(content)) return [{ type: "paragraph", children: [text(content)] }];
  if (!lex) {
    void loadFormatter().catch(() => {});
    return asTyped(content);
  }
  return parseMessage(content, lex);
}

/** marked's reading of `content`, whatever it holds (formatMessage skips it for plain text). Exported for the tests. */
export function parseMessage(content: string, lexer: Lex | null = lex): FormatNode[] {
  if (!lexer) throw new Error("parseMessage: the formatter is not loaded (await loadFormatter())");
  let tokens: Token[];
  try {
    tokens = lexer(content);
  } catch {
    // IMPORTANT: marked recurses per nesting level; thousands of nested quotes or list markers
    // overflow the stack. Such a message is shown as typed.
    return [{ type: "paragraph", children: [text(content)] }];
  }
  return blocks(tokens, 0);
}

function flatten(nodes: FormatNode[]): string {
  // Blocks and line breaks become spaces; the caller collapses runs of them.
  return nodes
    .map((node) => {
      switch (node.type) {
        case "br":
          return " ";
        case "text":
        case "code":
        case "codeBlock":
        case "link":
          return node.text;
        case "paragraph":
        case "quote":
          return ` ${flatten(node.children)} `;
        default:
          return flatten(node.children);
      }
    })
    .join("");
}

/**
 * A message's text as one plain line, for previews (reply quotes, the conversation list,
 * notifications, labels): what the bubble shows with its formatting dropped (bold's text, a
 * code span's code, a link's text, quotes flattened), whitespace collapsed. What the bubble shows
 * as typed ([text](url) links, lists, headings) stays as typed here too.
 */
export function plainText(content: string): string {
  const flat = flatten(formatMessage(content)).replace(/\s+/g, " ").trim();
  // Nothing left (an empty code block): the text as typed beats an empty preview.
  return flat || content.replace(/\s+/g, " ").trim();
}

export interface HighlightSegment {
  text: string;
  match: boolean;
}

/** A search hit's highlight (matches between U+E000 and U+E001) as segments, for <mark>; stray markers are dropped. */
export function splitHighlight(highlight: string): HighlightSegment[] {
  const segments: HighlightSegment[] = [];
  let match = false;
  for (const part of highlight.split(/([\uE000\uE001])/)) {
    if (part === "\uE000") match = true;
    else if (part === "\uE001") match = false;
    else if (part) segments.push({ text: part, match });
  }
  return segments;
}
