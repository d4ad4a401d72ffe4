// Shared set-up for the browser tests: a static server over dist/ that logs every request,
// and headless Chromium with WebGPU (SwiftShader) enabled.
import { createServer } from 'node:http';
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built page; `ECGMATCH_DIST=…` serves another build (`make profile-browser`'s named one). */
export const DIST = process.env.ECGMATCH_DIST || join(ROOT, 'dist');
export const FIXTURES = join(ROOT, 'tests', 'fixtures');
/** The case library's path as the page fetches it (`bundle/ptbxl-vN.ecgb`), read from the app's
 * source so that the tests follow a new library version. */
export const BUNDLE_PATH = (await readFile(join(ROOT, 'app', 'src', 'library.rs'), 'utf8'))
  .match(/pub const BUNDLE_URL: &str = "([^"]+)";/)[1];

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.png': 'image/png', '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
};

/** Serves dist/ on a free loopback port. `requests` collects { method, url, bodyBytes, sentBytes,
 * range } of each request; `setOffline(true)` drops every connection from then on. `overrides` maps a URL path to bytes served in place of the file (a damaged bundle). */
export function serveDist(options) {
  return serveDir(DIST, options);
}

/** Serves the folder `root` as `serveDist` serves dist/. */
export async function serveDir(root, { overrides = {} } = {}) {
  const requests = [];
  let offline = false;
  const server = createServer(async (req, res) => {
    // Gone from the network, for the page and for its service worker alike (Chromium's
    // offline emulation does not cover a service worker's fetches).
    if (offline) { req.socket.destroy(); return; }
    let body = 0;
    req.on('data', (chunk) => { body += chunk.length; });
    await new Promise((r) => req.on('end', r));
    const entry = { method: req.method, url: req.url, bodyBytes: body };
    requests.push(entry);
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = join(root, path.endsWith('/') ? path + 'index.html' : path);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      const data = overrides[path] ?? await readFile(file);
      const type = TYPES[extname(file)] || 'application/octet-stream';
      // Byte ranges, as static hosts serve them (the waveform pack is read a case at a time).
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
      if (range) {
        const [start, end] = [Number(range[1]), Math.min(Number(range[2]), data.length - 1)];
        entry.range = `${start}-${end}`;
        entry.sentBytes = end - start + 1;
        res.writeHead(206, { 'content-type': type, 'content-range': `bytes ${start}-${end}/${data.length}`, 'content-length': end - start + 1 });
        res.end(data.subarray(start, end + 1));
        return;
      }
      entry.sentBytes = data.length;
      res.writeHead(200, { 'content-type': type });
      res.end(data);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { url, requests, setOffline: (value) => { offline = value; }, close: () => new Promise((r) => server.close(r)) };
}

export async function launchBrowser(extraArgs = []) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'ecgmatch-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', ...extraArgs,
    ],
  });
  return context;
}

/** Serves dist/, opens the page in a fresh browser and waits for its drop zone. `close()`
 * ends both; call it from the test file's `after`. */
export async function openPage(query = '', serverOptions, browserArgs = []) {
  const server = await serveDist(serverOptions);
  const browser = await launchBrowser(browserArgs);
  const page = await browser.newPage();
  await page.goto(server.url + query);
  await page.waitForSelector('#drop-zone');
  return { server, browser, page, close: async () => { await browser.close(); await server.close(); } };
}

/** Drops files on the drop zone as a user's drag and drop would: a real DataTransfer with File objects. */
export async function dropFiles(page, files) {
  const payload = files.map((f) => ({ name: f.name, bytes: Array.from(f.bytes) }));
  await page.evaluate((payload) => {
    const dt = new DataTransfer();
    for (const f of payload) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    const zone = document.querySelector('#drop-zone');
    for (const type of ['dragenter', 'dragover', 'drop']) {
      zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
    }
  }, payload);
}

/** A record's header and signal file from a fixtures folder, e.g. record('ptbxl-fold10', '00009_lr'). */
export function recordFiles(folder, name) {
  return Promise.all([fixture(folder, `${name}.hea`), fixture(folder, `${name}.dat`)]);
}

/** Waits until the case library is loaded and the model runs on some backend. */
export async function waitForEngine(page, timeout = 120000) {
  await waitUntil(async () => (await page.getAttribute('#library-status', 'data-state').catch(() => null)) === 'ready', { timeout });
  await waitUntil(async () => {
    const b = await page.getAttribute('#backend', 'data-backend').catch(() => null);
    return b && b !== 'starting…';
  }, { timeout });
}

/** Drops a record and waits for its results; returns the ranked cases' ecg_ids, codes and
 * similarities, and the ecg_id of the record's own library copy when the page set one apart. */
export async function search(page, files, timeout = 120000) {
  const name = files[0].name.replace(/\.[^.]+$/, '');
  await dropFiles(page, files);
  await waitUntil(async () => {
    const state = await page.getAttribute('#results', 'data-state').catch(() => null);
    const record = await page.getAttribute('#results', 'data-record').catch(() => null);
    // Yew renders child components after their parent, so wait for the cases themselves.
    return record === name && (state === 'failed' || (state === 'done' && (await page.$$('#results .case')).length > 0));
  }, { timeout });
  const cases = await page.$$eval('#results .case', (els) => els.map((e) => ({ ecgId: Number(e.dataset.ecgId), codes: e.dataset.codes.split(' '), similarity: Number(e.dataset.similarity) })));
  const timings = JSON.parse((await page.getAttribute('#results', 'data-timings')) || '{}');
  timings.render = Number(await page.getAttribute('#results', 'data-render-ms'));
  // The record's own library copy, set apart from the similar cases when the library holds it.
  const own = await page.$('#this-record');
  const thisRecord = own ? Number(await own.getAttribute('data-ecg-id')) : null;
  return { cases, thisRecord, timings, state: await page.getAttribute('#results', 'data-state') };
}

export async function fixture(...parts) {
  const path = join(FIXTURES, ...parts);
  return { name: parts[parts.length - 1], bytes: await readFile(path), path };
}

/** Polls `condition` from Node until it holds. The page's CSP forbids eval, which
 * playwright's in-page `waitForFunction` polling needs, so waiting happens out here. */
export async function waitUntil(condition, { timeout = 10000, interval = 50 } = {}) {
  const deadline = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** The statements a similar case should share with a record: those other than SR (on about
 * 77% of PTB-XL) and NORM (44%), where the record has any, since sharing only those says
 * little; else the record's own. */
export function tellingStatements(codes) {
  const telling = codes.filter((code) => code !== 'SR' && code !== 'NORM');
  return telling.length > 0 ? telling : codes;
}

/** The record's truth from tests/fixtures/ptbxl-fold10/expected.json, by file stem. */
export const EXPECTED = JSON.parse(await readFile(join(FIXTURES, 'ptbxl-fold10', 'expected.json'), 'utf8'));
