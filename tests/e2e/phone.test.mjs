// The page at a phone's width (390 px, as an iPhone 12–15 shows it) and at a desktop's: it
// never scrolls sideways on the phone, the sheet and Compare fit the width, report columns
// stack, controls are thumb-sized, and tabs and toggles say their state. Screenshots of both
// go to the system's temporary folder for a person to look at.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, recordFiles, search, waitForEngine } from './harness.mjs';

const open = [];
after(async () => {
  for (const c of open.reverse()) await c();
});

async function searched(width, height) {
  const opened = await openPage('?backend=cpu');
  open.push(opened.close);
  const { page } = opened;
  await page.setViewportSize({ width, height });
  await waitForEngine(page);
  const { state, cases } = await search(page, await recordFiles('ptbxl-fold10', '00065_lr'));
  assert.equal(state, 'done');
  await page.click(`#results .case[data-ecg-id="${cases[0].ecgId}"] button.compare`);
  await page.waitForSelector('#compare-tracings[data-state="ready"]', { timeout: 30000 });
  return page;
}

const columns = (page, selector) => page.$eval(selector, (e) => getComputedStyle(e).gridTemplateColumns.split(' ').length);

test('at 390 px the page fits the width, stacks its columns and has thumb-sized controls', async () => {
  const page = await searched(390, 844);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page scrolls sideways');
  for (const selector of ['#ecg-sheet', '#compare-tracings canvas']) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `${selector}: ${JSON.stringify(box)}`);
  }
  assert.equal(await columns(page, '#results .case .reports'), 1, 'report columns stack');
  assert.equal(await columns(page, '.results-grid'), 1);
  const small = await page.$$eval('button, select, input[type="search"], input[type="text"]', (els) => els
    .filter((e) => e.offsetParent !== null)
    .map((e) => ({ what: e.id || e.className || e.textContent.trim().slice(0, 20), height: e.getBoundingClientRect().height }))
    .filter((b) => b.height < 43.5));
  assert.deepEqual(small, [], 'controls under 44 px tall');
  // Tabs and toggles say their state.
  assert.equal(await page.getAttribute('.record-tabs', 'role'), 'tablist');
  assert.equal(await page.getAttribute('.record-tabs .tab.selected', 'aria-selected'), 'true');
  assert.equal(await page.getAttribute('.backend-option[data-backend="CPU (wasm)"]', 'aria-pressed'), 'true');
  assert.match(await page.getAttribute('#ecg-sheet', 'aria-label'), /12-lead ECG/);
  await page.screenshot({ path: join(tmpdir(), 'ecgmatch-phone.png'), fullPage: true });
});

test('at 1280 px the reports sit side by side beside the consensus', async () => {
  const page = await searched(1280, 900);
  assert.equal(await columns(page, '#results .case .reports'), 2);
  assert.equal(await columns(page, '.results-grid'), 2);
  await page.screenshot({ path: join(tmpdir(), 'ecgmatch-desktop.png'), fullPage: true });
});
