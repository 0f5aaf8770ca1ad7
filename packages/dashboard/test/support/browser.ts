import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

/** Debian's headless shell (scripts/ensure-chromium.sh installs it); HOOKRUN_CHROMIUM names another. */
export const CHROMIUM = process.env.HOOKRUN_CHROMIUM || "/usr/bin/chromium-headless-shell";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export interface WatchedPage {
  page: Page;
  /** CSP violations the page reported (`securitypolicyviolation`), and console errors. */
  problems(): Promise<string[]>;
}

/**
 * A page in a fresh context signed in with `token` (HTTP Basic, as a person would type it), that
 * records every CSP violation and console error, and whether any injected handler ran
 * (`window.__pwned`, which the hostile fixtures try to set).
 */
export async function openPage(browser: Browser, token: string | undefined): Promise<WatchedPage & { context: BrowserContext }> {
  const context = await browser.newContext(token === undefined ? {} : { httpCredentials: { username: "person", password: token } });
  await context.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __violations: string[] }).__violations = []);
    document.addEventListener("securitypolicyviolation", (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && !/status of 40[13]/.test(message.text())) consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  return {
    context,
    page,
    async problems() {
      const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
      return [...violations, ...consoleErrors];
    },
  };
}
