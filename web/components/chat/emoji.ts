import { ONE_EMOJI } from "@/lib/limits";

/** The quick reactions offered in a message's menu; any other emoji may be typed. */
export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"] as const;

/** The text is one emoji (👍🏽, 👩‍💻 and 🇫🇷 included), as the server accepts; spaces around it do not count. */
export function isSingleEmoji(text: string): boolean {
  return ONE_EMOJI.test(text.trim());
}
