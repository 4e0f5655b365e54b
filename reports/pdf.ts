import { chromium } from 'playwright-core';

// without the background-networking flags Chromium keeps calling out
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Prints a self-contained HTML page to an A4 PDF with the Chromium at `executablePath`. */
export async function renderPdf(html: string, executablePath: string): Promise<Buffer> {
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '18mm', bottom: '18mm', left: '15mm', right: '15mm' } });
  } finally {
    await browser.close();
  }
}
