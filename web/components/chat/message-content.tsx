import { Fragment, type ReactNode } from "react";
import { formatMessage, splitHighlight, type FormatNode } from "@/lib/chat/message-format";
import { useFormatter } from "./use-formatter";

const codeClassName = "rounded-sm bg-foreground/10 px-1 py-px font-mono text-[0.9em]";

function render(nodes: FormatNode[]): ReactNode[] {
  return nodes.map((node, index) => {
    switch (node.type) {
      case "text":
        return <Fragment key={index}>{node.text}</Fragment>;
      case "br":
        return <br key={index} />;
      case "code":
        return (
          <code key={index} className={codeClassName}>
            {node.text}
          </code>
        );
      case "codeBlock":
        return (
          <pre key={index} className="my-1 overflow-x-auto rounded-md bg-foreground/10 px-2 py-1 font-mono text-[0.85em] whitespace-pre">
            <code data-lang={node.lang ?? undefined}>{node.text}</code>
          </pre>
        );
      case "link":
        return (
          <a key={index} href={node.href} target="_blank" rel="noopener noreferrer" className="text-inherit underline underline-offset-2">
            {node.text}
          </a>
        );
      case "strong":
        return <strong key={index}>{render(node.children)}</strong>;
      case "em":
        return <em key={index}>{render(node.children)}</em>;
      case "del":
        return <del key={index}>{render(node.children)}</del>;
      case "quote":
        return (
          <blockquote key={index} className="my-1 border-l-[3px] border-current/30 pl-2 opacity-85">
            {render(node.children)}
          </blockquote>
        );
      case "paragraph":
        return (
          <p key={index} className="[&+*]:mt-2">
            {render(node.children)}
          </p>
        );
    }
  });
}

/**
 * A message's text with its formatting (bold, italic, strikethrough, code, quotes, links for
 * http/https/mailto URLs) as React elements: the text is never parsed as HTML.
 */
export function MessageContent({ content }: { content: string }) {
  useFormatter();
  return <>{render(formatMessage(content))}</>;
}

/** A search hit's text with its matches in <mark> (the markers U+E000/U+E001 from the server). */
export function HighlightedText({ highlight }: { highlight: string }) {
  return (
    <>
      {splitHighlight(highlight).map((segment, index) =>
        segment.match ? (
          <mark key={index} className="rounded-sm bg-warning/40 px-px text-inherit">
            {segment.text}
          </mark>
        ) : (
          <Fragment key={index}>{segment.text}</Fragment>
        ),
      )}
    </>
  );
}
