// kiosk-sw.js: the kiosk's service worker, served as /kiosk/sw.js with scope /kiosk. It keeps
// the kiosk shell (the /kiosk page and the static files it uses) so that the tablet starts,
// and reloads, without a network. It never touches answers: those are POSTs, which kiosk.js
// queues in IndexedDB and sends itself, so nothing here can lose or repeat one.
'use strict';

const CACHE = 'sipas-kiosk-v1'; // shared with kiosk.js
const NETWORK_TIMEOUT = 4000; // a bad network falls back to the kept page after this long

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', e => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', e => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate' && url.pathname === '/kiosk') e.respondWith(shell(req));
  else if (url.pathname.startsWith('/static/')) e.respondWith(asset(req));
});

// shell is network first, so a kiosk gets its current settings whenever it can, and falls
// back to the kept page (in this language, else the Vietnamese one) when it cannot.
async function shell(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await withTimeout(fetch(req), NETWORK_TIMEOUT);
    if (res.ok) await cache.put(req, res.clone());
    return res;
  } catch (err) {
    return (await cache.match(req)) || (await cache.match('/kiosk')) || Response.error();
  }
}

// asset is cache first: static URLs carry their content hash (?v=…), so a kept copy is right.
async function asset(req) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(v => { clearTimeout(t); resolve(v); }, e => { clearTimeout(t); reject(e); });
  });
}
