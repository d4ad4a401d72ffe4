// Every supported file format, dropped on the page as a user would: each is read in wasm and
// drawn as 12 leads. The files are the same real PTB-XL record (00009_lr) written in each format
// by our writers (`ecgmatch convert`), plus a PhysioNet Challenge record (.hea + MATLAB .mat)
// not written by us (see tests/fixtures/*/README.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, dropFiles, fixture, search, waitUntil, ROOT } from './harness.mjs';

const CLI = join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'release', 'ecgmatch');

let opened, page;

before(async () => {
  opened = await openPage();
  page = opened.page;
});

after(async () => opened?.close());

const tabs = () => page.locator('.record-tabs .tab').count();
const notices = () => page.$$eval('.notice span', (ns) => ns.map((n) => n.textContent));

/** Drops `files`, waits for one more record tab, and returns what the page drew for it. */
async function dropAndRead(files) {
  const before = await tabs();
  await dropFiles(page, files);
  await waitUntil(async () => (await tabs()) === before + 1 || (await notices()).length > 0, { timeout: 20000 });
  assert.equal(await tabs(), before + 1, `no record read from ${files.map((f) => f.name)}: ${(await notices()).join('\n')}`);
  return {
    leads: (await page.getAttribute('#ecg-sheet', 'data-leads')).split(','),
    samples: Object.fromEntries((await page.getAttribute('#ecg-sheet', 'data-samples')).split(';')
      .map((lead) => lead.split('=')).map(([name, values]) => [name, values.split(',').map(Number)])),
    format: await page.getAttribute('section.ecg', 'data-format'),
    heading: await page.textContent('section.ecg h2'),
  };
}

const TWELVE = ['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6', 'II'];

const FORMATS = [
  ['WFDB with MATLAB v4 signals (PhysioNet Challenge)', [['cinc', 'E07500.hea'], ['cinc', 'E07500.mat']]],
  ['EDF+', [['formats', '00009_lr.edf']]],
  ['CSV', [['formats', '00009_lr.csv']]],
  ['GE MUSE XML', [['xml', '00009_lr.muse.xml']]],
  ['HL7 aECG', [['xml', '00009_lr.aecg.xml']]],
  ['Philips SierraECG XML', [['xml', '00009_lr.philips.xml']]],
  ['DICOM ECG', [['dicom', '00009_lr.dcm']]],
  ['SCP-ECG', [['scp', '00009_lr.scp']]],
];

/** The native reading of `primary` (the engine's CLI, written out as CSV to 0.1 µV): each
 * standard lead's samples at the probe's places (first, a third, two thirds, last). */
async function nativeSamples(primary) {
  const out = await mkdtemp(join(tmpdir(), 'ecgmatch-native-'));
  execFileSync(CLI, ['convert', primary, '--to', 'csv', '--out', out]);
  const [csv] = (await readdir(out)).filter((f) => f.endsWith('.csv'));
  const [header, ...rows] = (await readFile(join(out, csv), 'utf8')).trim().split('\n');
  const names = header.split(',');
  const n = rows.length;
  const at = [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1].map((i) => rows[i].split(',').map(Number));
  return Object.fromEntries(names.slice(1).map((name, j) => [name, at.map((row) => row[j + 1])]));
}

for (const [format, parts] of FORMATS) {
  test(`${format}: a dropped file is drawn as 12 leads, with the samples the native reader reads`, async () => {
    const files = await Promise.all(parts.map((p) => fixture(...p)));
    const drawn = await dropAndRead(files);
    assert.equal(drawn.format, format);
    assert.deepEqual(drawn.leads, TWELVE);
    assert.match(drawn.heading, /12 leads/);
    const native = await nativeSamples(files[0].path);
    assert.deepEqual(Object.keys(drawn.samples).sort(), TWELVE.slice(0, 12).sort());
    for (const [lead, values] of Object.entries(drawn.samples)) {
      values.forEach((v, k) => assert.ok(Math.abs(v - native[lead][k]) <= 0.0002, `${format} ${lead} sample ${k}: page ${v} mV, native ${native[lead][k]} mV`));
    }
  });
}

test('a table without a time column asks for the sampling rate, and the unit guess can be corrected', async () => {
  const csv = await fixture('formats', '00009_lr_uv_no_time.csv');
  const before = await tabs();
  await dropFiles(page, [csv]);
  await page.waitForSelector('.notice .rate-request');
  assert.ok((await notices()).some((n) => n.includes('sampling rate')), (await notices()).join('\n'));
  // A rate no ECG is recorded at is refused at the question, not read.
  await page.fill('.notice .rate-request input', '0.001');
  await page.click('.notice .rate-request button');
  await page.waitForSelector('.notice .rate-request .warning');
  assert.match(await page.textContent('.notice .rate-request .warning'), /20 to 100000/);
  assert.equal(await tabs(), before);
  await page.fill('.notice .rate-request input', '100');
  await page.click('.notice .rate-request button');
  await waitUntil(async () => (await tabs()) === before + 1);
  assert.equal(await page.locator('.notice .rate-request').count(), 0, 'the answered question is gone');
  assert.deepEqual((await page.getAttribute('#ecg-sheet', 'data-leads')).split(','), TWELVE);
  assert.match(await page.textContent('section.ecg h2'), /100 Hz, 10\.0 s/);
  // µV guessed from the values' size; reading it as mV instead replaces the record, not adds one.
  assert.equal(await page.getAttribute('.units-choice', 'data-units'), 'µV');
  await page.click('#switch-units');
  await waitUntil(async () => (await page.locator('.units-choice').count()) === 0);
  assert.equal(await tabs(), before + 1);
});

test('a mixed drop is grouped per record: each is read or refused on its own', async () => {
  const before = await tabs();
  const noticesBefore = (await notices()).length;
  const edf = await fixture('formats', '00009_lr.edf');
  const dcm = await fixture('dicom', '00009_lr.dcm');
  const [hea] = await Promise.all([fixture('cinc', 'E07500.hea')]);
  await dropFiles(page, [
    edf,
    { name: 'referral.pdf', bytes: Buffer.from('%PDF-1.4 a referral letter') },
    { name: 'lonely.hea', bytes: hea.bytes },
    dcm,
    { name: 'cut.scp', bytes: (await fixture('scp', '00009_lr.scp')).bytes.subarray(0, 300) },
  ]);
  await waitUntil(async () => (await tabs()) === before + 2 && (await notices()).length === noticesBefore + 3, { timeout: 20000 });
  const messages = (await notices()).slice(noticesBefore);
  assert.ok(messages.some((n) => n.includes('referral.pdf') && n.includes('Accepted')), messages.join('\n'));
  assert.ok(messages.some((n) => n.includes('lonely.hea') && n.includes('E07500.mat')), messages.join('\n'));
  assert.ok(messages.some((n) => n.includes('cut.scp')), messages.join('\n'));
});

test('a record whose leads carry no ECG is not searched: the signal-quality gate says why', async () => {
  // Ten seconds of 12 leads at 100 Hz, every sample 0: read fine, but nothing to search with.
  const header = 'time_s,I,II,III,aVR,aVL,aVF,V1,V2,V3,V4,V5,V6';
  const rows = Array.from({ length: 1000 }, (_, i) => `${(i / 100).toFixed(2)},${Array(12).fill('0').join(',')}`);
  const { cases, state } = await search(page, [{ name: 'flat.csv', bytes: Buffer.from([header, ...rows].join('\n')) }]);
  const message = await page.textContent('#results');
  assert.equal(state, 'failed', message);
  assert.equal(cases.length, 0);
  assert.match(message, /no lead carries an ECG signal \(I: flat/);
});

test('a file over the size limit is refused without being read, and the page keeps working', async () => {
  const before = await tabs();
  const noticesBefore = (await notices()).length;
  // 300 MB (the limit is 256 MB) made of one 1 MB chunk repeated, so the test itself stays light.
  await page.evaluate(() => {
    const chunk = new Uint8Array(1 << 20);
    const file = new File(Array(300).fill(chunk), 'holter-24h.edf');
    const dt = new DataTransfer();
    dt.items.add(file);
    const zone = document.querySelector('#drop-zone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  });
  await waitUntil(async () => (await notices()).length === noticesBefore + 1, { timeout: 20000 });
  const message = (await notices()).at(-1);
  assert.match(message, /holter-24h\.edf: too large \(314 MB\)\. Files up to 268 MB are accepted/);
  assert.equal(await tabs(), before);
  // Still responsive: another record reads.
  await dropAndRead([await fixture('dicom', '00009_lr.dcm')]);
});
