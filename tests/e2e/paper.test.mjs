// Paper ECGs in the page: a phone photo of a printout dropped, and the same printout shown to
// a (fake) rear camera and taken with the shutter. Each is digitized in wasm, drawn over the
// picture, and searched like any other record. The pictures are printed at test time from a
// real fold-10 PTB-XL record by `ecgmatch render` (built by `make build`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPage, dropFiles, waitUntil, search, fixture, tellingStatements, EXPECTED, ROOT, FIXTURES } from './harness.mjs';

const CLI = join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'release', 'ecgmatch');
const RECORD = join(FIXTURES, 'ptbxl-fold10', '00009_lr.hea');

let opened, page, photo, cameraFrame, sixByTwo, scannedPdf;

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ecgmatch-paper-'));
  photo = join(dir, '00009_phone.jpg');
  cameraFrame = join(dir, '00009_camera.y4m');
  sixByTwo = join(dir, '00063_6x2.png');
  scannedPdf = join(dir, '00116_scan.pdf');
  execFileSync(CLI, ['render', join(FIXTURES, 'ptbxl-fold10', '00116_lr.hea'), '--level', 'scan', '--px-per-mm', '6', '--out', scannedPdf]);
  execFileSync(CLI, ['render', join(FIXTURES, 'ptbxl-fold10', '00063_lr.hea'), '--layout', '6x2', '--level', 'scan', '--px-per-mm', '6', '--out', sixByTwo]);
  execFileSync(CLI, ['render', RECORD, '--level', 'phone', '--px-per-mm', '8', '--seed', '3', '--out', photo]);
  // The fake camera shows a scan-like frame: a webcam's 1920 px across a whole sheet.
  execFileSync(CLI, ['render', RECORD, '--level', 'scan', '--px-per-mm', '6', '--out', cameraFrame]);
  opened = await openPage('?backend=cpu', undefined, [
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${cameraFrame}`,
  ]);
  page = opened.page;
});

after(async () => opened?.close());

const tabs = () => page.locator('.record-tabs .tab').count();

/** The digitized record finds its own library copy (the record it was printed from, among
 * 21,799) first or second, or set apart as "this record" when the reading is that close;
 * what the cases after it carry is logged. */
function assertFindsItself(stem, cases, thisRecord) {
  const ownId = Number(stem.slice(0, 5));
  const own = thisRecord === ownId ? 0 : cases.findIndex((c) => c.ecgId === ownId);
  const wanted = tellingStatements(EXPECTED[stem].codes);
  const others = cases.filter((c) => c.ecgId !== ownId);
  console.log(`# ${stem} digitized: own copy at ${own}; [${wanted}] among the top five others: ${others.slice(0, 5).some((c) => c.codes.some((code) => wanted.includes(code)))}`);
  assert.ok(own === 0 || own === 1, `${stem}: its own library copy is at ${own}, not first or second`);
}

const notices = () => page.$$eval('.notice span', (ns) => ns.map((n) => n.textContent));
const overlay = async () => ({
  layout: await page.getAttribute('#paper-overlay', 'data-layout'),
  traces: Number(await page.getAttribute('#paper-overlay', 'data-traces')),
  ms: Number(await page.getAttribute('#paper-overlay', 'data-digitize-ms')),
  polylines: await page.locator('#paper-overlay path.trace').count(),
});

test('a phone photo of a printout is digitized, drawn over the photo and searched, with nothing sent', async () => {
  const before = opened.server.requests.length;
  const { cases, thisRecord, state } = await search(page, [{ name: '00009_phone.jpg', bytes: await readFile(photo) }], 180000);
  assert.equal(state, 'done', (await notices()).join('\n'));
  assert.equal(cases.length, 10);
  const o = await overlay();
  assert.equal(o.layout, '3x4+1');
  assert.equal(o.traces, 13, 'twelve cells and the rhythm strip');
  assert.equal(o.polylines, 13);
  assertFindsItself('00009_lr', cases, thisRecord);
  console.log(`# digitize in wasm: ${o.ms} ms for a ${await page.$eval('#paper-overlay img', (i) => `${i.naturalWidth}×${i.naturalHeight}`)} photo`);
  const sent = opened.server.requests.slice(before);
  assert.ok(sent.every((r) => r.method === 'GET' && r.bodyBytes === 0), `requests after the drop: ${JSON.stringify(sent)}`);
});

test('the corners can be dragged or moved by keyboard and the picture read again, replacing its record', async () => {
  const count = await tabs();
  const corner = page.locator('#paper-overlay circle.corner[data-corner="0"]');
  const cx = Number(await corner.getAttribute('cx'));
  await corner.scrollIntoViewIfNeeded();
  const box = await corner.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 6, box.y + box.height / 2, { steps: 3 });
  await page.mouse.up();
  const moved = Number(await corner.getAttribute('cx'));
  assert.ok(moved < cx - 1, `corner moved from ${cx} to ${moved}`);
  // The same by keyboard: Tab to the corner, arrow keys move it (0.5% of the picture a step).
  await corner.focus();
  const cy = Number(await corner.getAttribute('cy'));
  for (const key of ['ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
  const keyed = [Number(await corner.getAttribute('cx')), Number(await corner.getAttribute('cy'))];
  assert.ok(keyed[0] > moved + 1 && keyed[1] > cy + 1, `keys moved the corner from ${moved},${cy} to ${keyed}`);
  assert.match(await corner.getAttribute('aria-label'), /Top left corner of the sheet.*arrow keys/);
  await page.click('#reread-corners');
  await waitUntil(async () => (await page.getAttribute('#results', 'data-state').catch(() => null)) === 'done', { timeout: 120000 });
  assert.equal(await tabs(), count, 'read again in place, not added');
  assert.equal((await overlay()).layout, '3x4+1');
});

test('a scanned PDF is read from the picture on its page and searched', async () => {
  const { cases, thisRecord, state } = await search(page, [{ name: '00116_scan.pdf', bytes: await readFile(scannedPdf) }], 180000);
  assert.equal(state, 'done', (await notices()).join('\n'));
  assert.equal(cases.length, 10);
  assertFindsItself('00116_lr', cases, thisRecord);
  const o = await overlay();
  assert.equal(o.layout, '3x4+1');
  assert.equal(o.traces, 13);
});

test('the rear camera: live preview, frame guide, shutter, then digitized and searched', async () => {
  const count = await tabs();
  await page.click('#camera-open');
  await waitUntil(async () => (await page.$eval('#camera-video', (v) => v.videoWidth).catch(() => 0)) > 0, { timeout: 20000 });
  assert.equal(await page.locator('.viewfinder .frame-guide').count(), 1);
  await page.click('#camera-shutter');
  await waitUntil(async () => (await tabs()) === count + 1 || (await notices()).length > 0, { timeout: 60000 });
  assert.equal(await tabs(), count + 1, (await notices()).join('\n'));
  await waitUntil(async () => (await page.getAttribute('#results', 'data-state').catch(() => null)) === 'done', { timeout: 120000 });
  assert.equal((await overlay()).layout, '3x4+1');
  assert.equal(await page.locator('#camera-video').count(), 0, 'the camera is closed after the picture');
});

test('a 6×2 printout is found by its limb leads, and the layout can still be chosen by hand', async () => {
  const count = await tabs();
  await dropFiles(page, [{ name: '00063_6x2.png', bytes: await readFile(sixByTwo) }]);
  await waitUntil(async () => (await tabs()) === count + 1 || (await notices()).length > 0, { timeout: 60000 });
  // Six rows could be a 3×4 with three rhythm strips; the limb leads' relations say 6×2.
  assert.equal((await overlay()).layout, '6x2', (await notices()).join('\n'));
  assert.equal((await overlay()).traces, 12);
  await page.selectOption('#paper-layout', '3x4');
  await page.click('#reread-corners');
  await waitUntil(async () => (await page.getAttribute('#paper-overlay', 'data-layout').catch(() => null)) === '3x4+3', { timeout: 60000 });
  assert.equal(await tabs(), count + 1, 'read again in place');
  // A wrong choice is refused with a reason, and the reading before it stays.
  const noticesBefore = (await notices()).length;
  await page.selectOption('#paper-layout', '12x1');
  await page.click('#reread-corners');
  await waitUntil(async () => (await notices()).length > noticesBefore, { timeout: 60000 });
  assert.match((await notices()).at(-1), /00063_6x2\.png: 6 rows of trace found, but a 12x1 printout has 12/);
  assert.equal(await tabs(), count + 1);
  assert.equal((await overlay()).layout, '3x4+3');
});

/** A scanned letter as a PDF: deflated RGB pixels, white with dark lines of "text" (the PDF is
 * read here; the picture is no ECG). */
function letterPdf() {
  const [w, h] = [640, 480];
  const rgb = Buffer.alloc(w * h * 3, 255);
  for (let line = 0; line < 12; line++) {
    for (let y = 60 + line * 30; y < 68 + line * 30; y++) rgb.fill(30, (y * w + 60) * 3, (y * w + 560 - (line % 3) * 80) * 3);
  }
  const data = deflateSync(rgb);
  return Buffer.concat([
    Buffer.from(`%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n`),
    Buffer.from(`3 0 obj\n<< /Type /XObject /Subtype /Image /Width ${w} /Height ${h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>\nstream\n`),
    data,
    Buffer.from('\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n'),
  ]);
}

/** A 64×48 24-bit BMP of noise: a picture, but no ECG. */
function noiseBmp() {
  const [w, h] = [64, 48];
  const row = w * 3;
  const bytes = Buffer.alloc(54 + row * h);
  bytes.write('BM', 0);
  bytes.writeUInt32LE(bytes.length, 2);
  bytes.writeUInt32LE(54, 10);
  bytes.writeUInt32LE(40, 14);
  bytes.writeInt32LE(w, 18);
  bytes.writeInt32LE(h, 22);
  bytes.writeUInt16LE(1, 26);
  bytes.writeUInt16LE(24, 28);
  let seed = 7;
  for (let i = 54; i < bytes.length; i++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; bytes[i] = seed >> 16; }
  return bytes;
}

/** A PNG's signature and header chunk declaring `width` × `height`, and no pixels. */
function pngHeader(width, height) {
  const bytes = Buffer.alloc(33);
  Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex').copy(bytes, 0);
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  bytes[24] = 8;
  bytes[25] = 2;
  return bytes;
}

test('a picture that is no ECG, a PDF, a broken image and a huge one get clear messages and lose nothing', async () => {
  const count = await tabs();
  const noticesBefore = (await notices()).length;
  await dropFiles(page, [
    { name: 'holiday.bmp', bytes: noiseBmp() },
    { name: 'printout.pdf', bytes: Buffer.from('%PDF-1.4\n%%EOF\n') },
    { name: 'letter.pdf', bytes: letterPdf() },
    { name: 'broken.jpg', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]) },
    { name: 'bomb.png', bytes: pngHeader(65535, 65535) },
    { name: 'truncated.png', bytes: pngHeader(1200, 900) },
  ]);
  // 60 MB (the limit for pictures is 40 MB), refused before the browser decodes it.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(Array(60).fill(new Uint8Array(1 << 20)), 'huge-scan.jpg', { type: 'image/jpeg' }));
    const zone = document.querySelector('#drop-zone');
    for (const type of ['dragenter', 'dragover', 'drop']) zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
  await waitUntil(async () => (await notices()).length >= noticesBefore + 7, { timeout: 20000 });
  const messages = (await notices()).slice(noticesBefore).join('\n');
  assert.match(messages, /huge-scan\.jpg: too large a picture \(63 MB\)\. Pictures up to 40 MB are accepted/);
  assert.match(messages, /holiday\.bmp: the picture is too small|holiday\.bmp: no ECG/);
  assert.match(messages, /printout\.pdf: the PDF holds no scanned picture of a page.*PNG or JPEG/);
  assert.match(messages, /broken\.jpg: its size cannot be read from its header/);
  // 60 bytes asking for 4.3 gigapixels: refused from the header, before the browser allocates.
  assert.match(messages, /bomb\.png: the picture has 65535 × 65535 pixels; up to 50 megapixels are accepted/);
  assert.match(messages, /truncated\.png: the browser could not decode this picture/);
  // The deflated picture was taken out of the PDF and handed to the digitizer, which refused it.
  assert.match(messages, /letter\.pdf: no ECG grid found/);
  assert.equal(await tabs(), count, 'the records read before are all still there');
});

test('a real phone photo read with too little confidence is not searched, and the page says what to retake', async () => {
  // Last: it leaves the page showing this photo. A photo of a real printout
  // (tests/fixtures/paper-photos), which the digitizer reads poorly
  // today (native: -2.2 dB mean-lead SNR against the printed signal): the trust gate must keep
  // it out of the search rather than match cases to a misreading.
  const before = opened.server.requests.length;
  const { cases, state } = await search(page, [await fixture('paper-photos', '01032_hr-0.jpg')], 180000);
  const trusted = Number(await page.getAttribute('#paper-overlay', 'data-trusted-leads'));
  const doubtful = await page.locator('#paper-overlay path.trace.doubtful').count();
  const message = await page.textContent('#results');
  const ms = Number(await page.getAttribute('#paper-overlay', 'data-digitize-ms'));
  console.log(`# real photo 01032: digitized in wasm in ${ms} ms; ${trusted} of 12 leads trusted, ${doubtful} traces drawn doubtful; ${state}: ${message.slice(0, 160)}`);
  assert.ok(doubtful > 0, 'doubtful leads are drawn as such over the photo');
  const leadIITrusted = (await page.getAttribute('#paper-overlay path.trace[data-lead="II"]', 'data-trusted')) === 'true';
  if (trusted < 8 || !leadIITrusted) {
    assert.equal(state, 'failed', 'a reading without lead II or 8 trusted leads is not searched');
    assert.equal(cases.length, 0);
    assert.match(message, /Retake the photo/);
  } else {
    assert.equal(state, 'done');
  }
  const sent = opened.server.requests.slice(before);
  assert.ok(sent.every((r) => r.method === 'GET' && r.bodyBytes === 0), `requests after the drop: ${JSON.stringify(sent)}`);
});
