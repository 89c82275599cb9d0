import { chromium } from "playwright-core";
const base = process.argv[2];
const paths = process.argv.slice(3);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless","--no-sandbox","--disable-gpu","--disable-background-networking","--disable-component-update","--disable-sync","--no-first-run"] });
for (const p of paths) {
  const page = await browser.newPage();
  page.on("console", (m) => { console.log(p, "CONSOLE", m.type(), m.text().slice(0, 600)); });
  page.on("pageerror", (e) => console.log(p, "PAGEERROR", e.message.slice(0, 600)));
  page.on("response", (r) => { if (r.status() >= 400) console.log(p, "HTTP", r.status(), r.url()); });
  await page.goto(base + p, { waitUntil: "networkidle" });
  await page.waitForTimeout(5000);
  await page.close();
}
await browser.close();
