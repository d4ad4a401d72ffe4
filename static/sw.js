// ECGMatch service worker: makes the page work offline after the first visit.
// It only ever touches GET requests to this page's own origin. The case library
// (.ecgb) is kept by the page itself in Cache Storage, so it is skipped here.
const CACHE = 'ecgmatch-shell-v1';
const ASSET = /["']([^"'\s]+\.(?:js|wasm|css|webmanifest|svg|png))["']/g;

async function precacheShell() {
  const cache = await caches.open(CACHE);
  const index = await fetch('./', { cache: 'no-cache' });
  if (!index.ok) return;
  const html = await index.clone().text();
  // A full quota must not stop the worker installing: the page then works online only.
  await cache.put('./', index).catch(() => {});
  const urls = new Set([...html.matchAll(ASSET)].map((m) => new URL(m[1], self.registration.scope).href));
  await Promise.all([...urls].filter((u) => u.startsWith(self.location.origin)).map((u) => cache.add(u).catch(() => {})));
}

self.addEventListener('install', (event) => {
  event.waitUntil(precacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ecgmatch-shell-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Network first, so a new version is picked up at once; the cache when offline.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.endsWith('.ecgb')) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(request);
      // Only whole responses are cached (a 206 range reply cannot be), and a refused put
      // (a full quota) leaves the response served as it is.
      if (response.status === 200) cache.put(request, response.clone()).catch(() => {});
      return response;
    } catch (error) {
      const hit = await cache.match(request, { ignoreSearch: true });
      if (hit) return hit;
      if (request.mode === 'navigate') {
        const shell = await cache.match('./');
        if (shell) return shell;
      }
      throw error;
    }
  })());
});
