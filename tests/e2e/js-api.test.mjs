// The engine's JavaScript API (engine/js) as another web page uses it: examples/js/ loads the
// case library, reads and searches dropped ECG files, refuses a file that is no ECG, and
// digitizes a picture of a printout, all in the browser with nothing sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, serveDir, waitUntil, tellingStatements, EXPECTED, ROOT, FIXTURES } from './harness.mjs';

const CLI = join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'release', 'ecgmatch');
let server, browser, page;

before(async () => {
  server = await serveDir(ROOT);
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto(`${server.url}examples/js/`);
  await waitUntil(async () => (await page.getAttribute('#status', 'data-state')) !== 'loading', { timeout: 120000 });
  assert.equal(await page.getAttribute('#status', 'data-state'), 'ready', await page.textContent('#status'));
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Picks `paths` in the input `selector` and waits for the example to show its results. */
async function pick(selector, paths) {
  await page.evaluate(() => { document.querySelector('#results').dataset.state = 'idle'; });
  await page.setInputFiles(selector, paths);
  await waitUntil(async () => ['done', 'failed'].includes(await page.getAttribute('#results', 'data-state')), { timeout: 120000 });
  return page.evaluate(() => window.ecgmatch.results);
}

test('the library loads, and a record is read and searched through the API', async () => {
  assert.match(await page.textContent('#status'), /21799 cases/);
  const name = '00065_lr';
  const { read, searched } = await pick('#ecg-files', [join(FIXTURES, 'ptbxl-fold10', `${name}.hea`), join(FIXTURES, 'ptbxl-fold10', `${name}.dat`)]);
  // readFiles: the record as plain objects, twelve leads of 10 s at 100 Hz.
  assert.equal(read.length, 1);
  assert.deepEqual(read[0].files, [`${name}.hea`, `${name}.dat`]);
  const record = read[0].record;
  assert.equal(record.sampling_rate, 100);
  assert.equal(record.channels.filter((c) => c.lead).length, 12);
  assert.ok(record.channels.every((c) => c.samples.length === 1000 && c.samples.every(Number.isFinite)));
  // search: ten similar cases, its own library copy set apart as thisRecord, a telling
  // statement among the first five, and the neighbours' vote.
  assert.equal(searched.length, 1);
  const { cases, consensus, thisRecord } = searched[0];
  assert.equal(cases.length, 10);
  assert.equal(thisRecord?.ecg_id, 65);
  assert.ok(!cases.some((c) => c.ecg_id === 65), 'its own copy is not among the similar cases');
  assert.ok(cases.every((c) => c.parts && c.parts.image > 0), 'every case says what its similarity is made of');
  const wanted = tellingStatements(EXPECTED[name].codes);
  const others = cases.filter((c) => c.ecg_id !== 65).slice(0, 5);
  assert.ok(others.some((c) => c.scp_codes.some((s) => wanted.includes(s.code))), JSON.stringify(others.map((c) => c.scp_codes.map((s) => s.code))));
  assert.ok(consensus.length > 0 && consensus.every((v) => v.weight > 0 && v.weight <= 1));
  assert.equal(await page.locator('#results tr.case').count(), 10);
});

test('a file that is no ECG comes back with the engine\'s reason', async () => {
  const { read, searched } = await pick('#ecg-files', [join(FIXTURES, 'ptbxl-fold10', 'README.md')]);
  assert.match(read[0].error, /not a recognised ECG file/);
  assert.match(searched[0].error, /not a recognised ECG file/);
  assert.equal(searched[0].cases.length, 0);
});

test('a scan of a printout is digitized through the API, and nothing is sent', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ecgmatch-js-'));
  const scan = join(dir, '00009_scan.png');
  execFileSync(CLI, ['render', join(FIXTURES, 'ptbxl-fold10', '00009_lr.hea'), '--level', 'scan', '--px-per-mm', '6', '--out', scan]);
  const { digitized } = await pick('#picture', [scan]);
  assert.equal(digitized.layout, '3x4+1');
  assert.equal(digitized.record.channels.filter((c) => c.lead).length, 12);
  // A clean scan passes the trust gate whole.
  assert.deepEqual(digitized.doubtfulLeads, []);
  assert.equal(digitized.notSearchable, undefined);
  // Privacy: over the whole visit, only GETs of the example, the API's files and the library.
  for (const r of server.requests) {
    assert.equal(r.method, 'GET', JSON.stringify(r));
    assert.equal(r.bodyBytes, 0, JSON.stringify(r));
    assert.match(new URL(r.url, 'http://x').pathname, /^\/(examples\/js\/(|index\.html|main\.js|pkg\/[\w.-]+)|static\/bundle\/ptbxl-v\d+\.ecgb|favicon\.ico)$/, r.url);
  }
});
