/** The quick reactions offered in a message's menu; any other emoji may be typed. */
export const COMMON_EMOJI = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"] as const;

// The server's rule (lib/validations/chat.ts, emojiSchema): one emoji as Unicode recommends them.
const ONE_EMOJI = new RegExp("^\\p{RGI_Emoji}$", "v");

/** The text is one emoji (👍🏽, 👩‍💻 and 🇫🇷 included), as the server accepts; spaces around it do not count. */
export function isSingleEmoji(text: string): boolean {
  return ONE_EMOJI.test(text.trim());
}
