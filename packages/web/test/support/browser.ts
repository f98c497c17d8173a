/**
 * Debian's chromium (installed by scripts/setup) driven by playwright-core, headless, with a
 * fresh profile per run; screenshots go to test-results/web/ (CI artifacts).
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env['FSBUS_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = new URL('../../../../test-results/web/', import.meta.url).pathname;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  page: Page;
  context: BrowserContext;
  shot(name: string, target?: Locator): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(url: string): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'fsbus-web-chromium-'));
  let context: BrowserContext;
  try {
    // A persistent context is how playwright takes a user-data-dir: a fresh, empty one per run.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1600, height: 1000 },
    });
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM} (run ./scripts/setup): ${(err as Error).message}`, { cause: err });
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20_000);
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.goto(url);
  return {
    page,
    context,
    async shot(name, target) {
      const path = join(SCREENSHOTS, `${name}.png`);
      // Shot from the top of the page, where the sticky header belongs (not over a panel).
      await page.evaluate('window.scrollTo(0, 0)');
      const clip = target === undefined ? null : await target.boundingBox();
      await page.screenshot({ path, fullPage: true, ...(clip === null ? {} : { clip }) });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
