import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";

export interface AxeViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  /** CSS selectors of the offending nodes (first few). */
  targets: string[];
  /** axe's explanation for the first node (e.g. the contrast ratio it measured). */
  summary: string;
}

/**
 * Runs axe-core in the page (WCAG 2.x A/AA rules and best practices) through
 * @axe-core/playwright and returns its serious and critical violations. The builder injects
 * axe through DevTools (`frame.evaluate`), which the page's CSP does not govern.
 */
export async function findSeriousViolations(page: Page): Promise<AxeViolation[]> {
  // A menu or dialog that is still fading in has blended, lighter colours: axe would judge a
  // frame of the animation, not the page. Finite animations end first (a spinner's never does).
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((animation) => animation.effect?.getComputedTiming().iterations !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ),
  );
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"])
    .analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => node.target.join(" ")),
      summary: violation.nodes[0]?.failureSummary ?? "",
    }));
}
