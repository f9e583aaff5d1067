import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

/** Debian's chromium (scripts/run-tests.mjs installs it when missing and passes its path). */
const CHROMIUM = process.env.TEST_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, offline, throwaway: no first-run UI, no update or sync traffic, no GPU (none in CI), no QUIC. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A real headless Chromium, driven by playwright-core, with a fresh profile (--user-data-dir, removed by `close`),
 * and a temp dir for the screenshots of failed steps (`step`).
 */
export class ConsoleBrowser {
  private constructor(
    private readonly context: BrowserContext,
    private readonly profileDir: string,
    readonly screenshotDir: string,
  ) {}

  static async launch(): Promise<ConsoleBrowser> {
    const profileDir = mkdtempSync(join(tmpdir(), 'tether-chromium-'));
    const screenshotDir = mkdtempSync(join(tmpdir(), 'tether-console-shots-'));
    try {
      // launchPersistentContext is how playwright passes --user-data-dir
      const context = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        viewport: { width: 1400, height: 1000 },
        timeout: 30_000,
      });
      return new ConsoleBrowser(context, profileDir, screenshotDir);
    } catch (error) {
      rmSync(profileDir, { recursive: true, force: true });
      throw error;
    }
  }

  async page(): Promise<Page> {
    const page = await this.context.newPage();
    page.setDefaultTimeout(10_000);
    // the page's own errors fail the test that caused them, with their text
    page.on('pageerror', (error) => this.pageErrors.push(`${error.name}: ${error.message}`));
    return page;
  }

  readonly pageErrors: string[] = [];

  /** Runs one test's steps; on failure, a full-page screenshot named after it (its path in the error). */
  async step(page: Page, name: string, steps: () => Promise<void>): Promise<void> {
    try {
      await steps();
      if (this.pageErrors.length > 0) throw new Error(`errors in the page: ${this.pageErrors.join('; ')}`);
    } catch (error) {
      mkdirSync(this.screenshotDir, { recursive: true });
      const file = join(this.screenshotDir, `${name.replace(/[^\w-]+/g, '-')}.png`);
      const saved = await page
        .screenshot({ path: file, fullPage: true })
        .then(() => `screenshot: ${file}`)
        .catch((shotError: unknown) => `no screenshot (${String(shotError)})`);
      if (error instanceof Error) error.message = `${error.message}\n${saved}`;
      throw error;
    } finally {
      this.pageErrors.length = 0;
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profileDir, { recursive: true, force: true });
    // kept only when a step failed and left its screenshot there
    if (readdirSync(this.screenshotDir).length === 0)
      rmSync(this.screenshotDir, { recursive: true, force: true });
  }
}
