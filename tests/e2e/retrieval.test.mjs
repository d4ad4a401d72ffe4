// The product path: the page downloads the case library, runs the image tower in wasm
// (CPU, and WebGPU on SwiftShader), and ranks real cases for real test-fold records,
// sending no ECG data anywhere. Also: offline reload, a damaged library, a non-ECG file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { BUNDLE_PATH, DIST, EXPECTED as expected, ROOT, openPage, dropFiles, fixture, recordFiles, search, tellingStatements, waitForEngine, waitUntil } from './harness.mjs';
const open = [];
after(async () => {
  for (const c of open.reverse()) await c();
});

async function start(query = '', serverOptions) {
  const opened = await openPage(query, serverOptions);
  open.push(opened.close);
  return opened;
}

test('every committed test-fold record finds cases sharing its statements, and no ECG data leaves the page', async () => {
  const { server, page } = await start('?backend=cpu');
  await waitForEngine(page);
  assert.equal(await page.getAttribute('#backend', 'data-backend'), 'CPU (wasm)');
  const before = server.requests.length;
  const outcomes = [];
  for (const [name, truth] of Object.entries(expected)) {
    const { cases, thisRecord, state } = await search(page, await recordFiles('ptbxl-fold10', name));
    assert.equal(state, 'done', name);
    assert.equal(cases.length, 10, `${name}: ten ranked cases`);
    // The measurements the search adds to the images, shown back: the rate within 2/min of
    // one counted outside the engine.
    // Cases are listed once per distinct report (a normal ECG's neighbours share many).
    const reports = await page.$$eval('#results .case .report', (els) => els.map((e) => e.textContent.trim().toLowerCase()));
    assert.equal(new Set(reports).size, reports.length, `${name}: a report listed twice: ${reports}`);
    // The consensus says how many cases voted: the library's k nearest (3,200), less the
    // record's own copy, which does not vote for itself.
    await page.waitForSelector('#consensus');
    const voters = Number(await page.getAttribute('#consensus', 'data-voters'));
    assert.equal(voters, 3199, `${name}: ${voters} voters`);
    assert.match(await page.textContent('#consensus .meta'), /of the 3199 nearest cases/);
    // Each case says what its similarity is made of: the parts add up to it.
    const parts = await page.$$eval('#results .case', (els) => els.map((e) => {
      const p = e.querySelector('.parts').dataset;
      return { similarity: Number(e.dataset.similarity), sum: Number(p.image) + Number(p.rhythm) + Number(p.voltages) + Number(p.probe), image: Number(p.image) };
    }));
    assert.ok(parts.every((p) => Math.abs(p.sum - p.similarity) < 0.02 && p.image > 0), `${name}: ${JSON.stringify(parts)}`);
    // The intervals shown with the sheet are the engine's, as the CLI measures them natively.
    const shown = await page.$eval('#intervals', (e) => ({ pr: e.dataset.prMs, qrs: e.dataset.qrsMs, qt: e.dataset.qtMs, axis: e.dataset.axisDeg }));
    const native = JSON.parse(execFileSync(join(ROOT, 'target', 'release', 'ecgmatch'), ['search', '--json', '-k', '1', join(ROOT, 'tests', 'fixtures', 'ptbxl-fold10', `${name}.hea`)], { cwd: ROOT }))[0].intervals;
    const near = (a, b, tolerance) => Math.abs(Number(a) - b) <= tolerance;
    assert.ok(near(shown.pr, native.pr_ms.value, 0.5) && near(shown.qrs, native.qrs_ms.value, 0.5) && near(shown.qt, native.qt_ms.value, 0.5) && near(shown.axis, native.axis_deg.value, 0.5),
      `${name}: page ${JSON.stringify(shown)}, native ${JSON.stringify(native)}`);
    assert.ok(Number(shown.qrs) >= 60 && Number(shown.qrs) <= 200 && Number(shown.qt) >= 250 && Number(shown.qt) <= 500, `${name}: ${JSON.stringify(shown)}`);
    const rate = Number(await page.getAttribute('#measured', 'data-heart-rate'));
    assert.ok(Math.abs(rate - truth.heart_rate) <= 2, `${name}: heart rate ${rate}, counted ${truth.heart_rate}`);
    // The library holds all of PTB-XL, so the record finds itself: set apart as "this record",
    // not listed among the similar cases.
    const ownId = Number(name.slice(0, 5));
    assert.equal(thisRecord, ownId, `${name}: this record`);
    assert.match(await page.textContent('#this-record'), new RegExp(`this ECG is case ${ownId} of the library`));
    assert.ok(!cases.some((c) => c.ecgId === ownId), `${name}: its own copy is listed among the similar cases`);
    const others = cases;
    const wanted = tellingStatements(truth.codes);
    const shares = (c) => c.codes.some((code) => wanted.includes(code));
    // The paper's retrieval beside the cases: reports ranked by the dual encoder alone.
    const fitting = await page.$$eval('#fitting-reports .fitting-report', (els) => els.map((e) => ({
      codes: e.dataset.codes.split(' ').filter(Boolean),
      cases: Number(e.dataset.cases),
      score: Number(e.dataset.score),
      english: e.querySelector('.english, .report').textContent,
    })));
    assert.equal(fitting.length, 5, `${name}: five fitting reports`);
    for (let i = 1; i < fitting.length; i++) assert.ok(fitting[i - 1].score >= fitting[i].score, `${name}: reports out of order: ${JSON.stringify(fitting)}`);
    assert.ok(fitting.every((r) => r.cases >= 1 && r.english.trim().length > 0), JSON.stringify(fitting));
    outcomes.push({ name, wanted, topShares: shares(others[0]), topFiveShare: others.slice(0, 5).some(shares), topFive: others.slice(0, 5).map((c) => c.codes), reportsShare: fitting.some(shares), reports: fitting.map((r) => r.codes) });
  }
  // A quality gate: among the five cases after its own copy, one carries a telling statement
  // of the record (not SR or NORM where it has others), for at least four of the five records.
  // The count of four was set before the model was trained, when SR still counted; with
  // PTB-XL's prevalences a random ranking now passes about one time in four (SR: always).
  console.log(JSON.stringify(outcomes));
  assert.ok(outcomes.filter((o) => o.topFiveShare).length >= 4, JSON.stringify(outcomes));
  // The same bar for the five reports the dual encoder fits to each record.
  assert.ok(outcomes.filter((o) => o.reportsShare).length >= 4, JSON.stringify(outcomes.map((o) => [o.name, o.wanted, o.reports])));
  // Privacy: over the whole visit, five records dropped and searched, the page only ever
  // GET the app's own static files and the library: no body, no record name, no query
  // data. (The service worker may re-fetch the static shell meanwhile; nothing else.)
  const during = server.requests.slice(before);
  for (const r of during) assert.doesNotMatch(r.url, /ecgb|\d{5}_lr|\?/, `request during search: ${JSON.stringify(r)}`);
  for (const r of server.requests) {
    assert.equal(r.method, 'GET', JSON.stringify(r));
    assert.equal(r.bodyBytes, 0, JSON.stringify(r));
    const path = new URL(r.url, 'http://x').pathname;
    assert.ok(path === `/${BUNDLE_PATH}` || /^\/(|index\.html|[\w.-]+\.(js|wasm|css|webmanifest|svg))$/.test(path), r.url);
  }
});

test('the page runs the model on WebGPU when the browser has it, and ranks as the CPU does', async () => {
  const files = await recordFiles('ptbxl-fold10', '00065_lr');
  const cpu = await start('?backend=cpu');
  await waitForEngine(cpu.page);
  const onCpu = await search(cpu.page, files);
  const gpu = await start();
  await waitForEngine(gpu.page, 240000);
  assert.equal(await gpu.page.getAttribute('#backend', 'data-backend'), 'WebGPU');
  const onGpu = await search(gpu.page, files, 240000);
  assert.equal(onCpu.state, 'done');
  assert.equal(onGpu.state, 'done');
  // The same ten cases; each similarity within 0.005 (f32 arithmetic in another order on the
  // GPU, then the same int8 library).
  assert.deepEqual(onGpu.cases.map((c) => c.ecgId).sort(), onCpu.cases.map((c) => c.ecgId).sort(), JSON.stringify({ onCpu, onGpu }));
  for (const c of onGpu.cases) {
    const twin = onCpu.cases.find((d) => d.ecgId === c.ecgId);
    assert.ok(Math.abs(c.similarity - twin.similarity) <= 0.005, `case ${c.ecgId}: WebGPU ${c.similarity}, CPU ${twin.similarity}`);
  }
});

test('after one visit the page and its library work offline, and a replaced library is not kept', async () => {
  const { browser, page } = await start('?backend=cpu');
  await waitForEngine(page);
  assert.equal(await page.getAttribute('#library-status', 'data-from-cache'), 'false');
  // What an earlier version kept: a library under an older name.
  const kept = () => page.evaluate(async () => (await (await caches.open('ecgmatch-library-v1')).keys()).map((r) => new URL(r.url).pathname));
  await page.evaluate(async () => (await caches.open('ecgmatch-library-v1')).put('bundle/ptbxl-v1.ecgb', new Response('old library')));
  assert.ok((await kept()).includes('/bundle/ptbxl-v1.ecgb'));
  // The service worker has taken control once the shell is cached.
  await waitUntil(async () => page.evaluate(() => navigator.serviceWorker.controller !== null), { timeout: 30000 });
  await browser.setOffline(true);
  await page.reload();
  await waitForEngine(page);
  assert.equal(await page.getAttribute('#library-status', 'data-from-cache'), 'true');
  await waitUntil(async () => !(await kept()).includes('/bundle/ptbxl-v1.ecgb'), { timeout: 10000 });
  assert.ok((await kept()).includes(`/${BUNDLE_PATH}`));
  const { state, cases } = await search(page, await recordFiles('ptbxl-fold10', '00065_lr'));
  assert.equal(state, 'done');
  assert.equal(cases.length, 10);
});

test('Compare draws a similar case\'s tracings beside the query from about 1 KB, and again offline', async () => {
  const { server, browser, page } = await start('?backend=cpu');
  await waitForEngine(page);
  const { state, cases } = await search(page, await recordFiles('ptbxl-fold10', '00065_lr'));
  assert.equal(state, 'done');
  const other = cases.find((c) => c.ecgId !== 65);
  const before = server.requests.length;
  const clicked = Date.now();
  await page.click(`#results .case[data-ecg-id="${other.ecgId}"] button.compare`);
  await waitUntil(async () => (await page.getAttribute('#compare-tracings', 'data-state').catch(() => null)) === 'ready', { timeout: 30000 });
  const ms = Date.now() - clicked;
  assert.equal(await page.getAttribute('#compare-tracings', 'data-ecg-id'), String(other.ecgId));
  // Twelve median beats and the lead II strip of each, on one grid.
  assert.equal(await page.getAttribute('#compare-tracings', 'data-query-traces'), '13');
  assert.equal(await page.getAttribute('#compare-tracings', 'data-case-traces'), '13');
  const drawn = await page.$eval('#compare-tracings canvas', (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let query = 0, kase = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] < 60 && d[i + 1] < 60 && d[i + 2] < 60) query++;
      if (d[i] < 90 && d[i + 1] > 70 && d[i + 1] < 130 && d[i + 2] > 180) kase++;
    }
    return { query, kase };
  });
  assert.ok(drawn.query > 1000 && drawn.kase > 1000, JSON.stringify(drawn));
  await page.locator("#compare-panel").screenshot({ path: join(tmpdir(), "ecgmatch-compare.png") });
  assert.match(await page.getAttribute('#compare-tracings canvas', 'aria-label'), /median beats overlaid/);
  // What was fetched: the pack's index once, then one byte range for the case, within 4 KB;
  // nothing that names the ECG in hand.
  const fetched = server.requests.slice(before).filter((r) => r.url.includes('waveforms/'));
  const caseRange = fetched.at(-1);
  assert.ok(caseRange.range && caseRange.sentBytes <= 4096, JSON.stringify(fetched));
  console.log(`# Compare: case ${other.ecgId} in ${ms} ms; requests ${JSON.stringify(fetched.map((r) => r.sentBytes))} bytes`);
  // Offline, a case compared once is drawn again from what the page kept.
  await page.click('#compare-panel button:not(.compare)');
  await browser.setOffline(true);
  server.setOffline(true);
  await page.click(`#results .case[data-ecg-id="${other.ecgId}"] button.compare`);
  await waitUntil(async () => (await page.getAttribute('#compare-tracings', 'data-state').catch(() => null)) === 'ready', { timeout: 30000 });
  const unseen = cases.find((c) => c.ecgId !== 65 && c.ecgId !== other.ecgId);
  await page.click(`#results .case[data-ecg-id="${unseen.ecgId}"] button.compare`);
  await waitUntil(async () => (await page.getAttribute('#compare-tracings', 'data-state').catch(() => null)) === 'failed', { timeout: 30000 });
  assert.match(await page.textContent('#compare-tracings'), /could not be shown/);
  await browser.setOffline(false);
  server.setOffline(false);
});

test('a damaged library is refused with a reason and a retry', async () => {
  const bytes = await readFile(join(DIST, BUNDLE_PATH));
  const damaged = Buffer.from(bytes);
  damaged[damaged.length - 1000] ^= 0xff;
  const { page } = await start('', { overrides: { [`/${BUNDLE_PATH}`]: damaged } });
  await waitUntil(async () => (await page.getAttribute('#library-status', 'data-state').catch(() => null)) === 'failed', { timeout: 60000 });
  const message = await page.textContent('#library-status');
  assert.match(message, /damaged/);
  assert.ok(await page.$('#library-retry'));
  // Files can still be read and drawn while the library is unavailable.
  await dropFiles(page, await recordFiles('ptbxl-fold10', '00009_lr'));
  await page.waitForSelector('#ecg-sheet');
});

test('a file that is not an ECG gets a message and loses nothing else', async () => {
  const { page } = await start('?backend=cpu');
  await waitForEngine(page);
  await search(page, await recordFiles('ptbxl-fold10', '00116_lr'));
  await dropFiles(page, [await fixture('ptbxl-fold10', 'README.md')]);
  await waitUntil(async () => (await page.$$('.notice')).length > 0);
  assert.match(await page.textContent('.notice'), /not a recognised ECG file/);
  assert.equal((await page.$$('.record-tabs .tab')).length, 1, 'the searched record is still there');
  assert.equal(await page.getAttribute('#results', 'data-state'), 'done');
});

test('text search ranks cases by their ECGs (or their reports), with the text model fetched on first use', async () => {
  const { server, page } = await start('?backend=cpu');
  await waitForEngine(page);
  assert.ok(!server.requests.some((r) => r.url.includes('text-tower')), 'the text model is not fetched before it is needed');
  assert.equal(await page.getAttribute('#text-query', 'placeholder'), 'e.g. atrial fibrillation with left bundle branch block');
  const find = async (query, mode = 'ecgs') => {
    await page.fill('#text-query', query);
    await page.selectOption('#text-mode', mode);
    await page.click('#text-search button[type=submit]');
    await waitUntil(async () => (await page.getAttribute('#text-results', 'data-query').catch(() => null)) === query
      && (await page.getAttribute('#text-results', 'data-mode')) === mode, { timeout: 180000 });
    return page.$$eval('#text-results .case', (els) => els.map((e) => e.dataset.codes.split(' ')));
  };
  // Text → ECG: a rhythm and a conduction disorder each bring cases carrying them in most of
  // the top ten (the dual encoder ranks the cases' ECGs, not their reports).
  for (const [query, code] of [['atrial fibrillation', 'AFIB'], ['complete left bundle branch block', 'CLBBB']]) {
    const cases = await find(query);
    assert.equal(cases.length, 10);
    const carrying = cases.filter((codes) => codes.includes(code)).length;
    assert.ok(carrying >= 6, `"${query}": ${carrying} of the top 10 carry ${code}: ${JSON.stringify(cases)}`);
    assert.match(await page.textContent('#text-results h3'), /ECG embedding/);
  }
  // The second mode matches the reports' texts and says so.
  const byReport = await find('atrial fibrillation', 'reports');
  assert.ok(byReport[0].includes('AFIB'), `top case by report for "atrial fibrillation": [${byReport[0]}]`);
  assert.match(await page.textContent('#text-results h3'), /report text/);
  const requests = server.requests.filter((r) => r.url.includes('text-tower'));
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, 'GET');
});
