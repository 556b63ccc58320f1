import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Debian's Chromium (the project's set-up installs it); nothing downloads a browser. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium is not installed: run infra/scripts/setup.sh (it installs Debian\'s chromium)');
  // --no-sandbox: the tests run as root inside their own network namespace.
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** What the page functions touch of the browser's globals (the test code has no DOM types). */
export interface Browserish {
  document: { body: { innerText: string }; documentElement: { scrollWidth: number } };
  location: { hash: string };
}

/** Clicks the button whose visible text is exactly `text`. */
export async function clickButton(page: Page, text: string): Promise<void> {
  const button = await page.waitForSelector(`::-p-xpath(//button[normalize-space(.)=${JSON.stringify(text)}])`, { visible: true, timeout: 10_000 });
  await button!.click();
}

/** Checks the checkbox whose label text is exactly `text`. */
export async function checkLabel(page: Page, text: string): Promise<void> {
  const box = await page.waitForSelector(`::-p-xpath(//label[normalize-space(.)=${JSON.stringify(text)}]/input[@type='checkbox'])`, { timeout: 10_000 });
  await box!.click();
}

/** The page's text, for assertions on what a user sees. */
export function bodyText(page: Page): Promise<string> {
  return page.evaluate(() => (globalThis as unknown as Browserish).document.body.innerText);
}

/** Waits until the page shows `text`. */
export async function waitForText(page: Page, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction((t) => (globalThis as unknown as Browserish).document.body.innerText.includes(t), { timeout, polling: 200 }, text);
}

/** Where the test run writes the console's screenshots (git ignores `.local/`). */
export const SCREENSHOT_DIR = join(process.cwd(), '.local', 'screenshots', 'console');

/** Serious and critical axe-core violations on the page as it is now (the page must bypass CSP). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  return page.evaluate(async () => {
    const result = await (globalThis as unknown as { axe: { run: () => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
  });
}

/** A full-page screenshot at `width`, in the light or dark scheme, named after the page. */
export async function screenshot(page: Page, name: string, width: number, scheme: 'light' | 'dark'): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.setViewport({ width, height: 900 });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
  const path = join(SCREENSHOT_DIR, `${name}-${width}-${scheme}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}
