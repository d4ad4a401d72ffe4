// The README's screenshot: the page with a real test-fold record dropped and searched, at a
// desktop width (`make screenshot` writes docs/screenshot.png).
import { join } from 'node:path';
import { openPage, recordFiles, search, waitForEngine, ROOT } from './harness.mjs';

const out = process.argv[2] || join(ROOT, 'docs', 'screenshot.png');
const { page, close } = await openPage('?backend=cpu');
try {
  await page.setViewportSize({ width: 1280, height: 1400 });
  await waitForEngine(page);
  await search(page, await recordFiles('ptbxl-fold10', '00065_lr'));
  // From the record's tab: its sheet, then the ranked cases.
  const top = (await page.locator('.record-tabs').boundingBox()).y - 8;
  await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: top, width: 1280, height: 1400 } });
  console.log(`wrote ${out}`);
} finally {
  await close();
}
