// The web app's service worker. web/build.sh writes VERSION (a hash of every file's content)
// and FILES (the whole bundle) when it builds the app; a new build is a new version, which the
// browser installs beside the running one and the page offers to switch to.
const VERSION = '__VERSION__';
const FILES = __FILES__;
const CACHE = `mandoob-app-${VERSION}`;
const SCOPE = new URL('./', self.location).pathname;

self.addEventListener('install', (event) => {
  // Everything or nothing: a half-cached version must never take over.
  event.waitUntil(caches.open(CACHE).then((cache) =>
    cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('mandoob-app-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  // Only the app's own files; the sync API always goes to the network.
  if (event.request.method !== 'GET' || url.origin !== self.location.origin
      || !url.pathname.startsWith(SCOPE)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(event.request, { ignoreSearch: true });
    if (hit) return hit;
    try {
      return await fetch(event.request);
    } catch (e) {
      // Offline, a page of the app's scope: the app itself.
      if (event.request.mode === 'navigate') {
        const app = await cache.match('./');
        if (app) return app;
      }
      throw e;
    }
  })());
});
