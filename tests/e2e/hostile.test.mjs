// The hostile files of `make hostile` (target/hostile, every format) dropped on the page one
// set at a time: each is answered (a message, or a record read) within 20 s, no panic reaches
// the console, and after all of them the page still reads and searches a real record. A panic in
// the wasm would end the app, so this is the page's side of the CLI's `make hostile`.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, openPage, recordFiles, search, waitForEngine, waitUntil } from './harness.mjs';

const HOSTILE = join(ROOT, 'target', 'hostile');

let opened;
after(async () => opened?.close());

test('every hostile file gets an answer in the page, nothing panics, and the page works on', async () => {
  const sets = (await readdir(HOSTILE).catch(() => [])).sort();
  assert.ok(sets.length >= 40, `${HOSTILE} holds ${sets.length} hostile sets: run \`make hostile\` first`);
  // Served by the page's own origin (the CSP allows no other), fetched and dropped from there.
  const overrides = {};
  const files = {};
  for (const set of sets) {
    files[set] = (await readdir(join(HOSTILE, set))).sort();
    for (const name of files[set]) overrides[`/hostile/${set}/${name}`] = await readFile(join(HOSTILE, set, name));
  }
  opened = await openPage('?backend=cpu', { overrides });
  const { page } = opened;
  const panics = [];
  page.on('console', (m) => { if (/panicked|RuntimeError|unreachable/.test(m.text())) panics.push(m.text()); });
  page.on('pageerror', (e) => panics.push(String(e)));
  await waitForEngine(page);
  const answered = async () => (await page.locator('.notice').count()) + (await page.locator('.record-tabs .tab').count());
  const slow = [];
  for (const set of sets) {
    const before = await answered();
    const started = Date.now();
    await page.evaluate(async ({ set, names }) => {
      const dt = new DataTransfer();
      for (const name of names) {
        const blob = await (await fetch(`hostile/${set}/${name}`)).blob();
        dt.items.add(new File([blob], name));
      }
      const zone = document.querySelector('#drop-zone');
      for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }, { set, names: files[set] });
    await waitUntil(async () => (await answered()) > before, { timeout: 20000 }).catch(() => assert.fail(`${set}: no answer within 20 s`));
    const ms = Date.now() - started;
    if (ms > 2000) slow.push(`${set} ${ms} ms`);
  }
  console.log(`# ${sets.length} hostile sets answered; over 2 s (fetch and drop included): ${slow.join(', ') || 'none'}`);
  assert.deepEqual(panics, []);
  // The page still reads and searches a real record.
  const { state, cases } = await search(page, await recordFiles('ptbxl-fold10', '00009_lr'));
  assert.equal(state, 'done');
  assert.equal(cases.length, 10);
});
