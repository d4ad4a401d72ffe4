// The service worker (static/sw.js) under what a real browser can throw at it but a test
// browser cannot be made to: a cache that refuses every put (a full quota) and a partial (206)
// reply. It runs here in a plain V8 context whose `caches` and `fetch` behave that way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import vm from 'node:vm';
import { ROOT } from './harness.mjs';

const ORIGIN = 'https://ecgmatch.example';

/** Loads sw.js with a Cache Storage whose every `put` and `add` fails, and `reply` as the
 * network. Returns its listeners and the puts it attempted. */
async function worker(reply) {
  const listeners = {};
  const attempted = [];
  const cache = {
    put: async (request) => {
      attempted.push(String(request.url ?? request));
      throw new DOMException('the quota is full', 'QuotaExceededError');
    },
    add: async () => { throw new DOMException('the quota is full', 'QuotaExceededError'); },
    match: async () => undefined,
  };
  const self = {
    addEventListener: (type, f) => { listeners[type] = f; },
    location: { origin: ORIGIN },
    registration: { scope: `${ORIGIN}/` },
    skipWaiting: async () => {},
    clients: { claim: async () => {} },
  };
  const context = {
    self, URL, Response, Request, Promise, Set, console,
    caches: { open: async () => cache, keys: async () => [], delete: async () => true },
    fetch: async (request) => reply(String(request.url ?? request)),
  };
  vm.runInNewContext(await readFile(join(ROOT, 'static', 'sw.js'), 'utf8'), context);
  return { listeners, attempted };
}

/** Dispatches a fetch event for `path` and returns the response the worker answered with. */
function fetchThrough(listeners, path) {
  let answer;
  listeners.fetch({ request: new Request(`${ORIGIN}${path}`), respondWith: (p) => { answer = p; } });
  return answer;
}

test('a cache that refuses every put: the worker installs and every response is still served', async () => {
  const html = '<script src="/app-1.js"></script><link href="/style-1.css">';
  const { listeners, attempted } = await worker((url) => new Response(url.endsWith('/') ? html : 'asset', { status: 200 }));
  let installed;
  listeners.install({ waitUntil: (p) => { installed = p; } });
  await installed;
  const response = await fetchThrough(listeners, '/app-1.js');
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'asset');
  // The put was tried and refused, and the refusal did not reach the page.
  await new Promise((r) => setTimeout(r, 10));
  assert.ok(attempted.includes(`${ORIGIN}/app-1.js`), JSON.stringify(attempted));
});

test('a partial (206) reply is served but never cached', async () => {
  const { listeners, attempted } = await worker(() => new Response('part', { status: 206 }));
  const response = await fetchThrough(listeners, '/bundle/part.bin');
  assert.equal(response.status, 206);
  assert.equal(await response.text(), 'part');
  assert.deepEqual(attempted, []);
});
