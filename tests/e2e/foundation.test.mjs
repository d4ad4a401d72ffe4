// The first slice of the page: a dropped PTB-XL record is drawn as 12 leads and encoded
// in wasm, pixel for pixel as the native engine encodes it; bad files get a message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, openPage, dropFiles, fixture, waitUntil } from './harness.mjs';

let opened, page;

before(async () => {
  opened = await openPage();
  page = opened.page;
});

after(async () => opened?.close());

const record = () => Promise.all([fixture('ptbxl', '00001_lr.hea'), fixture('ptbxl', '00001_lr.dat')]);

test('a dropped PTB-XL record shows 12 leads and 4 encodings per lead', async () => {
  await dropFiles(page, await record());
  await page.waitForSelector('#ecg-sheet');
  const leads = await page.getAttribute('#ecg-sheet', 'data-leads');
  assert.deepEqual(leads.split(','), ['I', 'aVR', 'V1', 'V4', 'II', 'aVL', 'V2', 'V5', 'III', 'aVF', 'V3', 'V6', 'II']);
  // The traces are really drawn: many dark pixels on the pink grid.
  const ink = await page.evaluate(() => {
    const c = document.querySelector('#ecg-sheet');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] < 80 && d[i + 2] < 80) n++;
    return n;
  });
  assert.ok(ink > 5000, `only ${ink} trace pixels drawn`);
  assert.equal(await page.getAttribute('#encodings', 'data-open'), 'false', 'the encodings wait to be asked for');
  await page.click('#show-encodings');
  await page.waitForSelector('canvas.encoding');
  const encodings = await page.$$eval('canvas.encoding', (cs) => cs.map((c) => `${c.dataset.lead}_${c.dataset.encoding}`));
  assert.equal(encodings.length, 48);
  for (const e of ['I_GASF', 'II_GADF', 'V6_MTF', 'aVR_RP']) assert.ok(encodings.includes(e), e);
});

test('the page encodes exactly as the native engine does', async () => {
  const out = await mkdtemp(join(tmpdir(), 'ecgmatch-native-'));
  const [hea] = await record();
  execFileSync(join(ROOT, 'target', 'release', 'ecgmatch'), ['encode', hea.path, '--layout', 'stack', '--out', out]);
  for (const name of ['II_GASF', 'V1_MTF', 'V5_RP']) {
    const png = (await readFile(join(out, '00001_lr', `${name}.png`))).toString('base64');
    const [lead, encoding] = name.split('_');
    const compare = () => page.evaluate(async ({ png, lead, encoding }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${png}`;
      await img.decode();
      const ref = document.createElement('canvas');
      ref.width = img.width; ref.height = img.height;
      const rctx = ref.getContext('2d');
      rctx.drawImage(img, 0, 0);
      const want = rctx.getImageData(0, 0, img.width, img.height).data;
      const c = document.querySelector(`canvas.encoding[data-lead="${lead}"][data-encoding="${encoding}"]`);
      const got = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      if (got.length !== want.length) return { size: [c.width, img.width] };
      let max = 0, distinct = new Set();
      for (let i = 0; i < got.length; i += 4) { max = Math.max(max, Math.abs(got[i] - want[i])); distinct.add(got[i]); }
      return { max, distinct: distinct.size };
    }, { png, lead, encoding });
    // The canvases are drawn after the view that holds them renders; on a busy machine the
    // first look can come before the drawing.
    let diff = await compare();
    await waitUntil(async () => (diff = await compare()).size !== undefined || diff.distinct > 10).catch(() => {});
    assert.equal(diff.size, undefined, `${name}: sizes differ ${diff.size}`);
    assert.ok(diff.distinct > 10, `${name}: image is nearly flat`);
    assert.ok(diff.max <= 1, `${name}: max pixel difference ${diff.max}`);
  }
});

test('calipers dragged across the sheet read time, voltage and rate at 25 mm/s and 10 mm/mV', async () => {
  await page.waitForSelector('#ecg-sheet');
  const box = await page.locator('#ecg-sheet').boundingBox();
  // The sheet is 250 mm wide (four 2.5-s columns at 25 mm/s), whatever size it is shown at.
  const pxPerMm = box.width / 250;
  const [x0, y0] = [box.x + 40 * pxPerMm, box.y + 60 * pxPerMm];
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  await page.mouse.move(x0 + 25 * pxPerMm, y0 - 10 * pxPerMm, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('#caliper');
  const [dt, dv, rate] = await Promise.all(['data-dt-ms', 'data-dv-mv', 'data-rate'].map((a) => page.getAttribute('#caliper', a).then(Number)));
  assert.ok(Math.abs(dt - 1000) < 15, `Δt ${dt} ms`);
  assert.ok(Math.abs(dv - 1) < 0.03, `ΔV ${dv} mV`);
  assert.ok(Math.abs(rate - 60) < 1, `${rate}/min`);
  assert.match(await page.textContent('#caliper'), /Δt 10\d\d ms|Δt 99\d ms/);
});

test('bad files get their own message and the loaded record stays', async () => {
  const [hea, dat] = await record();
  await dropFiles(page, [{ name: 'lonely.dat', bytes: dat.bytes }]);
  await page.waitForSelector('.notice');
  await dropFiles(page, [{ name: 'report.pdf', bytes: Buffer.from('%PDF-1.4 not an ecg') }]);
  await dropFiles(page, [hea, { name: '00001_lr.dat', bytes: dat.bytes.subarray(0, 5000) }]);
  await waitUntil(async () => (await page.locator('.notice').count()) >= 3);
  const notices = await page.$$eval('.notice span', (ns) => ns.map((n) => n.textContent));
  assert.ok(notices.some((n) => n.includes('lonely.dat') && n.includes('lonely.hea')), notices.join('\n'));
  assert.ok(notices.some((n) => n.includes('report.pdf') && n.includes('Accepted')), notices.join('\n'));
  assert.ok(notices.some((n) => n.includes('truncated')), notices.join('\n'));
  // The record read before is still there and still drawn.
  assert.equal(await page.locator('#ecg-sheet').count(), 1);
  assert.equal(await page.locator('canvas.encoding').count(), 48);
});
