import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// without the background-networking flags Chromium keeps calling out, and this network refuses it
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where the screenshots stay after the run, for a person to look at. */
export const SCREENSHOT_DIR = path.join(os.tmpdir(), 'atenpro-e2e');

/** Fails at once, and says how to fix it, when Debian's Chromium is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh (it installs Debian's chromium) or set CHROMIUM_PATH.`);
  }
}

/** Debian's Chromium, headless, with a fresh profile, Spanish locale and the given time zone. */
export async function openBrowser(timezoneId: string): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  requireChromium();
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'atenpro-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: false, args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1100 }, locale: 'es-ES', timezoneId });
  const page = context.pages()[0] ?? (await context.newPage());
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return { context, page, async close() { await context.close(); await rm(profileDir, { recursive: true, force: true }); } };
}
