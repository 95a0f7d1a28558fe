// A real browser for the page tests: the system's headless Chromium (CHROME_PATH, or `chromium` on the
// PATH, as scripts/bootstrap.sh --test installs it) driven by playwright-core. Each step can be
// photographed into .data/screenshots/<suite>/ (git-ignored), and checked for accessibility with axe-core.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repositoryRoot } from '../../dev/tools.ts';

const require = createRequire(import.meta.url);

/** Where a browser is looked for when CHROME_PATH is unset: Debian's package first. */
const chromiumCandidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser binary, or an error that says how to get one. */
export function chromiumPath(): string {
  const configured = process.env.CHROME_PATH;
  if (configured !== undefined && configured !== '') {
    if (!existsSync(configured)) throw new Error(`CHROME_PATH=${configured} does not exist`);
    return configured;
  }
  const found = chromiumCandidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error('no Chromium found: apt-get install chromium, or set CHROME_PATH to a Chromium or Chrome');
  return found;
}

export interface BrowserPageOptions {
  /** The browser's language, as Accept-Language and navigator.language: 'en-US', 'zh-CN'. */
  locale?: string;
  /** The browser's time zone, so a test can check times are shown in it. */
  timezoneId?: string;
}

export interface TestBrowser {
  /** A fresh page in a context of its own (its own cookies). */
  newPage(options?: BrowserPageOptions): Promise<Page>;
  /** Writes the page as .data/screenshots/<suite>/<nn>-<name>.png, numbered in the order taken. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Fails with each violation's rule, impact and elements when axe-core finds a WCAG 2.1 A/AA problem. */
  assertAccessible(page: Page, where: string): Promise<void>;
  close(): Promise<void>;
}

/** The WCAG levels the pages are held to. */
const axeTags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

export async function launchBrowser(suite: string): Promise<TestBrowser> {
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
  const contexts: BrowserContext[] = [];
  const folder = path.join(repositoryRoot, '.data', 'screenshots', suite);
  await mkdir(folder, { recursive: true });
  const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  let taken = 0;
  return {
    async newPage(options = {}) {
      // The pages' Content-Security-Policy allows only their own scripts; axe is injected past it.
      const context = await browser.newContext({
        locale: options.locale ?? 'en-US',
        timezoneId: options.timezoneId ?? 'UTC',
        bypassCSP: true,
        viewport: { width: 1280, height: 900 },
      });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      return page;
    },
    async screenshot(page, name) {
      taken += 1;
      const file = path.join(folder, `${String(taken).padStart(2, '0')}-${name.replace(/[^a-z0-9-]+/gi, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async assertAccessible(page, where) {
      await page.addScriptTag({ content: axeSource });
      const violations = (await page.evaluate(
        async (tags) => (await (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: unknown[] }> } }).axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: tags } })).violations,
        axeTags,
      )) as AxeViolation[];
      const described = violations.map(
        (violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')}`,
      );
      assert.deepEqual(described, [], `accessibility problems on ${where}`);
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
