import { describe, expect, it } from "vitest";
import { COMMON_EMOJI, isSingleEmoji } from "./emoji";

describe("isSingleEmoji", () => {
  it("when the text is one emoji (with a skin tone, a sequence or a flag), then it is accepted", () => {
    for (const emoji of [...COMMON_EMOJI, "👍🏽", "👩‍💻", "🇫🇷", " 🎉 "]) expect(isSingleEmoji(emoji)).toBe(true);
  });

  it("when the text is empty, a letter, or two emoji, then it is refused", () => {
    for (const text of ["", "a", "👍👍", "ok 👍", "1"]) expect(isSingleEmoji(text)).toBe(false);
  });
});
