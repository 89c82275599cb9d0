import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { twMerge } from "tailwind-merge";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless Chromium on this kind of machine: no sandbox (root), no GPU, no background traffic. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * Whether browser tests can run. Without Chromium they are skipped locally with a one-line
 * note, but fail on CI (`CI=true`), where a missing browser is a broken setup.
 */
export function checkChromium(): { available: boolean; message: string } {
  const available = existsSync(CHROMIUM_PATH);
  return {
    available,
    message: available ? "" : `Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH to a Chromium or Chrome binary).`,
  };
}

export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught page errors, for a failing test's report. */
  errors: string[];
  /** Closes the browser; conflicting classes its pages showed are kept for `takeClassConflicts`. */
  close(): Promise<void>;
}

// Every class attribute the user's pages show, reported in batches as elements appear or change.
const RECORD_CLASSES = `(() => {
  const seen = new Set();
  let queued = [];
  const flush = () => {
    const batch = queued;
    queued = [];
    if (batch.length) window.__recordClasses?.(batch);
  };
  const note = (value) => {
    if (!value || seen.has(value)) return;
    seen.add(value);
    queued.push(value);
    if (queued.length === 1) setTimeout(flush, 50);
  };
  const visit = (node) => {
    if (node.nodeType !== 1) return;
    note(node.getAttribute("class"));
    for (const element of node.querySelectorAll("[class]")) note(element.getAttribute("class"));
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") note(record.target.getAttribute("class"));
      else record.addedNodes.forEach(visit);
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["class"] });
  addEventListener("pagehide", flush);
})()`;

// What the closed browsers found, checked once a test file is done (e2e/support/setup.ts): a
// failing close() would skip the rest of the file's cleanup (its servers).
const conflicts = new Set<string>();

/** The conflicting class lists the browsers closed since the last call found. */
export function takeClassConflicts(): string[] {
  const found = [...conflicts];
  conflicts.clear();
  return found;
}

/**
 * Class lists in which two Tailwind utilities set the same thing (`px-2 px-4`, `p-0 px-4`), as
 * tailwind-merge sees them: `cn()` joins classes without merging (tailwind-merge is not shipped
 * to the browser), so there the winner would be the stylesheet's order, not the code's.
 */
export function findClassConflicts(classLists: Iterable<string>): string[] {
  const conflicts: string[] = [];
  for (const classList of classLists) {
    const kept = new Set(twMerge(classList).split(" "));
    const lost = classList.split(/\s+/).filter((name) => name && !kept.has(name));
    if (lost.length > 0) conflicts.push(`"${classList}" (${lost.join(", ")} set what a later class sets)`);
  }
  return conflicts;
}

/** One user = one persistent Chromium profile in its own temp folder (own cookies, own tabs). */
export async function launchUser(name: string): Promise<BrowserUser> {
  const profileDir = mkdtempSync(path.join(tmpdir(), `chat-e2e-${name}-`));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 760 },
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const classLists = new Set<string>();
  await context.exposeFunction("__recordClasses", (batch: string[]) => batch.forEach((classList) => classLists.add(classList)));
  await context.addInitScript(RECORD_CLASSES);
  const page = context.pages()[0] ?? (await context.newPage());
  // The first page was opened before the script was added: a navigation runs it there too.
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`[${name} console] ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`[${name} pageerror] ${error.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
      for (const conflict of findClassConflicts(classLists)) conflicts.add(`${name}: ${conflict}`);
    },
  };
}

interface Mail {
  to: string;
  subject: string;
  link: string;
  sentAt: string;
}

/** Polls the dev mailbox for the newest sign-in link sent to `email` at or after `since`. */
export async function fetchMagicLink(baseUrl: string, email: string, since = 0, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const response = await fetch(`${baseUrl}/api/dev/mailbox?email=${encodeURIComponent(email)}`);
    const body = (await response.json().catch(() => null)) as { data?: Mail[] } | null;
    last = `${response.status} ${JSON.stringify(body).slice(0, 500)}`;
    // Newest first; a second of slack for clock rounding.
    const mail = body?.data?.find((item) => item.to === email && Date.parse(item.sentAt) >= since - 1_000);
    if (mail) return new URL(mail.link, baseUrl).href;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`No sign-in mail for ${email} in the dev mailbox after ${timeoutMs} ms (last answer: ${last})`);
}

/**
 * Signs in through the UI like a person: asks for a link on /login, opens it from the
 * dev mailbox, presses Continue, and waits for the chat to show.
 */
export async function loginViaMailbox(page: Page, baseUrl: string, email: string): Promise<void> {
  const since = Date.now();
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId("login-email").fill(email);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("login-sent").waitFor();

  const link = await fetchMagicLink(baseUrl, email, since);
  await page.goto(link);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/auth/confirm"));
  // Fail fast and say why: a redirect to another origin loses the host-only session cookie.
  if (new URL(page.url()).origin !== new URL(baseUrl).origin) {
    throw new Error(`/auth/confirm redirected to ${page.url()}; expected ${baseUrl}/chat (same origin as the request).`);
  }
  await page.waitForURL(`${baseUrl}/chat`);
  await page.getByTestId("current-user").filter({ hasText: email }).waitFor();
}
