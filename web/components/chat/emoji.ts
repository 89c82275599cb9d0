/** The quick reactions offered in a message's menu; any other emoji may be typed. */
export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"] as const;

const pictographic = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/** The text is one emoji (one grapheme that draws a pictograph: 👍🏽, 👩‍💻, 🇫🇷), as the server accepts. */
export function isSingleEmoji(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed) return false;
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(trimmed)];
  return graphemes.length === 1 && pictographic.test(trimmed);
}
