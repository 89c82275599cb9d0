/**
 * Page weight: the JavaScript a first visit to `/login` and `/chat` downloads from the
 * production build, gzipped. Loads each page in headless Chromium (playwright-core) and sums
 * the script responses until the network is idle: robust to however Turbopack splits chunks,
 * and it counts what the page really fetches (including chunks loaded right after hydration).
 * `/chat` is loaded with a seeded session cookie. Gzip is computed here (level 6, what Next's
 * compression uses) so the number does not depend on the server's encoding choice.
 *
 *   node --import tsx bench/page-weight.ts [--source=head] [--rebuild]
 */
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { parseArgs } from "./lib/cli.js";
import { findFreePort } from "./lib/ports.js";
import { runMain } from "./lib/processes.js";
import { fmt, printTable, runBenchmark, type Target } from "./lib/report.js";
import { createSecrets } from "./lib/secrets.js";
import { startSocketServer } from "./lib/socket-servers.js";
import { useSource } from "./lib/source.js";
import { ensureBaselineBuild, startBaselineApp } from "./lib/baseline-app.js";
import { createBenchUsers, ensureBuild, scratchDataDir, seedDatabase, startWebApp } from "./lib/web-app.js";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** kB as Next.js prints them: 1,000 bytes. */
const KB = 1000;
const TARGET_CHAT_GZIP_KB = 150;
const TARGET_LOGIN_GZIP_KB = 120;

interface Script {
  url: string;
  bytes: number;
  gzip: number;
}

interface PageWeight {
  route: string;
  /** Where the browser ended up (a redirect to /login would mean the session was not accepted). */
  finalPath: string;
  scripts: Script[];
  bytes: number;
  gzip: number;
  /** Inline <script> bytes in the HTML (RSC payload, bootstrap), for context; not in the total. */
  inlineScriptBytes: number;
  htmlBytes: number;
}

export async function runPageWeight(argv = process.argv.slice(2)) {
  const args = parseArgs(argv);
  useSource(args.string("source"));

  return runBenchmark("page-weight", args.quick, async () => {
    const build = await ensureBuild({ force: args.has("rebuild") });
    const { jwtSecret, webhookSecret } = createSecrets();
    const [user] = createBenchUsers(1, "page-weight");
    const scratch = scratchDataDir("page-weight");
    const cleanups: (() => Promise<void> | void)[] = [() => scratch.remove()];
    try {
      const database = { mode: "embedded" as const, dataDir: path.join(scratch.dataDir, "data") };
      await seedDatabase(database, [user!]);
      // The chat page connects to the socket server; it must allow the app's origin.
      const port = await findFreePort();
      const origin = `http://127.0.0.1:${port}`;
      const socketServer = await startSocketServer({ kind: "socket-server", jwtSecret, webhookSecret, webOrigin: origin });
      cleanups.push(() => socketServer.stop());
      const app = await startWebApp({ database, jwtSecret, webhookSecret, socketServerUrl: socketServer.url, port });
      cleanups.push(() => app.stop());

      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
      });
      cleanups.push(() => browser.close());
      // The floor: a blank client page of a bare app on the same Next.js (React, the runtime).
      await ensureBaselineBuild();
      const baseline = await startBaselineApp({ database: { mode: "embedded", dataDir: path.join(scratch.dataDir, "baseline") } });
      cleanups.push(() => baseline.stop());
      const floor = await weighPage(browser, baseline.url, "/page");
      const pages = [
        await weighPage(browser, app.url, "/login"),
        await weighPage(browser, app.url, "/chat", { name: "chat_session", value: user!.token }),
      ];
      console.log(
        `\nFloor: a blank client page of a bare Next.js app (same version, production build) loads ${fmt(floor.gzip / KB)} kB gzipped ` +
          `(${floor.scripts.length} scripts). Above it: ${pages.map((page) => `${page.route} +${fmt((page.gzip - floor.gzip) / KB)} kB`).join(", ")}.`,
      );

      printTable(
        "Page weight — first-load JavaScript (all script responses until network idle)",
        ["route", "landed on", "scripts", "raw kB", "gzip kB", "inline script kB", "HTML kB"],
        pages.map((page) => [
          page.route,
          page.finalPath,
          page.scripts.length,
          fmt(page.bytes / KB),
          fmt(page.gzip / KB),
          fmt(page.inlineScriptBytes / KB),
          fmt(page.htmlBytes / KB),
        ]),
      );
      for (const page of pages) {
        printTable(
          `Scripts of ${page.route}, largest first`,
          ["gzip kB", "raw kB", "file"],
          [...page.scripts]
            .sort((a, b) => b.gzip - a.gzip)
            .map((script) => [fmt(script.gzip / KB), fmt(script.bytes / KB), new URL(script.url).pathname]),
        );
      }

      const targets: Target[] = (
        [
          ["/chat", TARGET_CHAT_GZIP_KB, " (landed on %s: the session was not accepted)"],
          ["/login", TARGET_LOGIN_GZIP_KB, " (landed on %s)"],
        ] as const
      ).map(([route, limitKb, elsewhere]) => {
        const page = pages.find((weighed) => weighed.route === route)!;
        const landed = page.finalPath === route ? "" : elsewhere.replace("%s", page.finalPath);
        return {
          label: `${route} first-load JS ≤ ${limitKb} kB gzipped`,
          pass: page.finalPath === route && page.gzip / KB <= limitKb,
          detail:
            `${fmt(page.gzip / KB)} kB gzipped (${fmt(page.bytes / KB)} kB raw, ${page.scripts.length} scripts; ` +
            `${fmt(page.gzip / floor.gzip)}× the ${fmt(floor.gzip / KB)} kB blank-page floor)${landed}`,
        };
      });
      return { targets, data: { build, floor, pages } };
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  });
}

async function weighPage(browser: Browser, baseUrl: string, route: string, cookie?: { name: string; value: string }): Promise<PageWeight> {
  const context = await browser.newContext();
  try {
    if (cookie) await context.addCookies([{ ...cookie, url: baseUrl }]);
    const page = await context.newPage();
    const pending: Promise<Script | null>[] = [];
    page.on("response", (response) => {
      const type = response.headers()["content-type"] ?? "";
      if (response.request().resourceType() !== "script" && !/javascript/.test(type)) return;
      pending.push(
        response.body().then(
          (body) => ({ url: response.url(), bytes: body.length, gzip: gzipSync(body, { level: 6 }).length }),
          () => null,
        ),
      );
    });
    const response = await page.goto(`${baseUrl}${route}`, { waitUntil: "load", timeout: 60_000 });
    await page.waitForLoadState("networkidle", { timeout: 15_000 }).catch(() => {});
    const html = (await response?.text()) ?? "";
    const inlineScriptBytes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].reduce(
      (sum, match) => sum + Buffer.byteLength(match[1] ?? ""),
      0,
    );
    // One copy per URL (a chunk can be requested twice, e.g. preload then script).
    const scripts = [
      ...new Map(
        (await Promise.all(pending)).filter((script): script is Script => script !== null).map((script) => [script.url, script]),
      ).values(),
    ];
    return {
      route,
      finalPath: new URL(page.url()).pathname,
      scripts,
      bytes: scripts.reduce((sum, script) => sum + script.bytes, 0),
      gzip: scripts.reduce((sum, script) => sum + script.gzip, 0),
      inlineScriptBytes,
      htmlBytes: Buffer.byteLength(html),
    };
  } finally {
    await context.close();
  }
}

runMain(import.meta.url, () => runPageWeight());
