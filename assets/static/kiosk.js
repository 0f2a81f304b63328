// kiosk.js: the progressive enhancement of the kiosk pages (/kiosk). Without it every page
// still works as a plain form. With it, on the start screen:
//   - the survey and the thanks screen show without a round trip (they are in the page);
//   - answers go into a queue in IndexedDB, each with its own idempotency key, and are sent
//     to /kiosk/api/submit, retried with backoff (1 s doubling to 30 s) and when the network
//     comes back; the server stores each key once, so a retry never counts twice;
//   - a service worker (/kiosk/sw.js) keeps the page, so the kiosk starts without a network;
//   - the screen resets after the kiosk's idle time, with a countdown;
//   - the camera reads the receipt's QR code: with the browser's BarcodeDetector where it has
//     one, else with jsQR (jsqr.min.js, vendored, loaded by the kiosk pages only).
'use strict';

(function () {
  const $ = id => document.getElementById(id);
  const CACHE = 'sipas-kiosk-v1'; // shared with kiosk-sw.js
  const RETRY_MIN = 1000;
  const RETRY_MAX = 30000;
  const ANON_GAP = 20000; // the server's limits on answers without a receipt (store.AnonMinGap)
  const ANON_PER_HOUR = 60;

  // DAMM is the quasigroup of the receipt number's check digit (receipt.Number).
  const DAMM = ['0317598642', '7092154863', '4206871359', '1750983426', '6123045978',
    '3674209581', '5869720134', '8945362017', '9438617205', '2581436790'];
  function dammOK(digits) {
    let d = 0;
    for (const c of digits) d = Number(DAMM[d][Number(c)]);
    return d === 0;
  }

  // readCode reads a typed code the way the server does: a receipt number is 12 digits
  // (spaces, hyphens and dots ignored) whose check digit must hold, so a typing mistake is
  // caught here; a token as receipt.ParseToken reads it (hyphens and spaces ignored, case
  // folded, O is 0 and I, L are 1). It returns {code} or {error: 'mistyped' | 'notfound'}.
  function readCode(s) {
    const digits = s.replace(/[\s.-]/g, '');
    if (/^[0-9]{12}$/.test(digits)) return dammOK(digits) ? { code: digits } : { error: 'mistyped' };
    const t = s.replace(/[-\s]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');
    return (t.length === 16 || t.length === 26) && /^[0-9A-HJKMNP-TV-Z]+$/.test(t) ? { code: t } : { error: 'notfound' };
  }

  // codeFromScan takes the code out of a scanned QR code: a receipt's holds BASE/S/TOKEN, a
  // kiosk enrolment code's BASE/kiosk/enrol?code=CODE.
  function codeFromScan(text) {
    const m = /\/s\/([0-9a-z-]+)\/?$/i.exec(text.trim());
    if (m) return m[1];
    try {
      const c = new URL(text).searchParams.get('code');
      if (c) return c;
    } catch (e) { /* not a URL */ }
    return text.trim();
  }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
  }

  // qrReader returns a function that reads the text of the QR code in an image or video frame
  // ('' when it finds none): the browser's BarcodeDetector where there is one, else jsQR on a
  // canvas copy of the frame at most 800 pixels wide; null when neither is there.
  function qrReader() {
    if ('BarcodeDetector' in window) {
      const detector = new BarcodeDetector({ formats: ['qr_code'] });
      return async source => {
        const found = await detector.detect(source);
        return found.length ? found[0].rawValue : '';
      };
    }
    if (typeof window.jsQR !== 'function') return null;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    return async source => {
      const w = source.videoWidth || source.naturalWidth || source.width;
      const h = source.videoHeight || source.naturalHeight || source.height;
      if (!w || !h) return '';
      const scale = Math.min(1, 800 / Math.max(w, h));
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
      return code ? code.data : '';
    };
  }
  window.sipasQRReader = qrReader; // for the browser tests: the reader the kiosk uses

  // setupScanner shows the scan button where the camera can read QR codes, and calls onCode
  // with what it reads. It returns a function that stops the camera.
  function setupScanner(onCode, onError) {
    const btn = $('k-scan');
    const box = $('k-camera');
    const video = $('k-video');
    const read = qrReader();
    if (!btn || !box || !read || !navigator.mediaDevices) return () => {};
    btn.hidden = false;
    let stream = null;
    let timer = 0;
    function stop() {
      clearTimeout(timer);
      if (stream) stream.getTracks().forEach(t => t.stop());
      stream = null;
      box.hidden = true;
      btn.hidden = false;
    }
    btn.addEventListener('click', async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
        video.srcObject = stream;
        box.hidden = false;
        btn.hidden = true;
        await video.play();
        const tick = async () => {
          if (!stream) return;
          try {
            const text = await read(video);
            if (text) {
              stop();
              onCode(codeFromScan(text));
              return;
            }
          } catch (e) { /* a frame that could not be read */ }
          timer = setTimeout(tick, 250);
        };
        tick();
      } catch (e) {
        stop();
        onError();
      }
    });
    $('k-camera-cancel').addEventListener('click', stop);
    return stop;
  }

  // The queue: one IndexedDB object store of answers, keyed by their idempotency key.
  const queue = {
    open() {
      return new Promise((resolve, reject) => {
        const r = indexedDB.open('sipas-kiosk', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('queue', { keyPath: 'key' });
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    },
    // run runs fn on the store in one transaction and resolves, once the transaction has
    // committed, with the result of the request fn returned.
    async run(mode, fn) {
      const db = await queue.open();
      return new Promise((resolve, reject) => {
        const tx = db.transaction('queue', mode);
        const req = fn(tx.objectStore('queue'));
        tx.oncomplete = () => { db.close(); resolve(req.result); };
        tx.onerror = tx.onabort = () => { db.close(); reject(tx.error); };
      });
    },
    add: item => queue.run('readwrite', s => s.put(item)),
    all: () => queue.run('readonly', s => s.getAll()),
    count: () => queue.run('readonly', s => s.count()),
    remove: key => queue.run('readwrite', s => s.delete(key)),
  };

  // send posts one queued answer: 'done' when the server stored it (or stored it before),
  // 'refused' when it never will (an unknown or used receipt, invalid answers), 'retry' when
  // the network or the server failed, or the kiosk is held back (429: a valid answer is
  // stored once the hold lapses, an invalid one then gets its own refusal).
  async function send(item) {
    let res;
    try {
      res = await fetch('/kiosk/api/submit', {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(item),
      });
    } catch (e) {
      return 'retry';
    }
    if (res.ok) return 'done';
    if ([404, 409, 410, 422].includes(res.status)) return 'refused';
    const wait = Number(res.headers.get('Retry-After')) * 1000;
    if (wait > 0) delay = Math.min(Math.max(delay, wait), RETRY_MAX);
    return 'retry';
  }

  let flushing = false;
  let again = false;
  let retryTimer = 0;
  let delay = RETRY_MIN;

  // flush sends the queue, oldest answer time first, until it is empty or a send fails; then
  // it tries again after the backoff delay.
  async function flush() {
    if (flushing) { again = true; return; }
    flushing = true;
    clearTimeout(retryTimer);
    let failed = false;
    try {
      const items = (await queue.all()).sort((a, b) => a.answered_at.localeCompare(b.answered_at));
      for (const item of items) {
        if (await send(item) === 'retry') { failed = true; break; }
        await queue.remove(item.key);
        await showPending();
      }
    } catch (e) {
      failed = true;
    }
    flushing = false;
    await showPending();
    if (failed) {
      retryTimer = setTimeout(flush, delay);
      delay = Math.min(delay * 2, RETRY_MAX);
    } else {
      delay = RETRY_MIN;
      if (again) { again = false; flush(); }
    }
  }

  async function showPending() {
    const box = $('k-pending');
    if (!box) return;
    let n = 0;
    try { n = await queue.count(); } catch (e) { /* no IndexedDB: nothing is queued */ }
    $('k-pending-n').textContent = n;
    box.hidden = n === 0;
  }

  function showOnline() {
    const box = $('k-offline');
    if (box) box.hidden = navigator.onLine;
  }

  // idleTimer counts down in el and calls onTimeout when it reaches 0; any touch or key
  // starts the count again.
  function idleTimer(seconds, el, onTimeout) {
    let left = seconds;
    let id = 0;
    const draw = () => { if (el) el.textContent = left; };
    const stop = () => { clearInterval(id); id = 0; };
    const start = () => {
      stop();
      left = seconds;
      draw();
      id = setInterval(() => {
        left--;
        draw();
        if (left <= 0) { stop(); onTimeout(); }
      }, 1000);
    };
    for (const ev of ['pointerdown', 'keydown', 'input', 'scroll']) {
      document.addEventListener(ev, () => { if (id) { left = seconds; draw(); } }, { passive: true, capture: true });
    }
    return { start, stop };
  }

  // Answers without a receipt are spaced as the server requires, so a queued one is never
  // refused for the rate limit when it is sent later.
  const ANON_LOG = 'sipas-kiosk-anon';
  function anonTimes(now) {
    let t = [];
    try { t = JSON.parse(localStorage.getItem(ANON_LOG) || '[]'); } catch (e) { /* none kept */ }
    return t.filter(x => now - x < 3600000);
  }
  function anonAllowed(now) {
    const t = anonTimes(now);
    return t.length < ANON_PER_HOUR && (t.length === 0 || now - t[t.length - 1] >= ANON_GAP);
  }
  function noteAnon(now) {
    const t = anonTimes(now);
    t.push(now);
    try { localStorage.setItem(ANON_LOG, JSON.stringify(t)); } catch (e) { /* best effort */ }
  }

  // answerOf reads the survey form as the JSON that /kiosk/api/submit takes.
  function answerOf(form, now) {
    const item = { key: newKey(), receipt: $('k-receipt').value, answered_at: new Date(now).toISOString(), answers: {}, expectations: [], comment: '' };
    for (const [name, value] of new FormData(form)) {
      const field = form.querySelector('[name="' + name + '"]');
      if (name === 'receipt' || name === 'key') continue;
      if (name === 'comment') item.comment = value;
      else if (field && field.type === 'checkbox') item.expectations.push(value);
      else if (value !== '') item.answers[name] = value;
    }
    return item;
  }

  // The start screen, with the survey and thanks screens it carries.
  function kioskApp(app) {
    const cfg = app.dataset;
    const screens = { start: $('k-start'), survey: $('k-survey'), done: $('k-done') };
    const form = $('k-form');
    const codeInput = $('k-code-input');
    const errorBox = $('k-error');
    let doneTimer = 0;

    function show(name) {
      for (const [k, el] of Object.entries(screens)) el.hidden = k !== name;
      window.scrollTo(0, 0);
    }
    function setError(msg) {
      errorBox.textContent = msg;
      errorBox.hidden = !msg;
      if (msg) idle.start(); // an error left on the screen goes away for the next citizen
    }
    function reset() {
      idle.stop();
      clearInterval(doneTimer);
      stopCamera();
      if (cfg.lang !== cfg.defaultLang) { location.replace('/kiosk'); return; } // the next citizen starts in Vietnamese
      form.reset();
      delete form.dataset.busy;
      $('k-receipt').value = '';
      codeInput.value = '';
      setError('');
      show('start');
    }
    const idle = idleTimer(Number(cfg.idle) || 60, $('k-idle-n'), reset);

    function begin(code, agency) {
      $('k-receipt').value = code;
      $('k-survey-agency').textContent = agency || cfg.agency;
      setError('');
      show('survey');
      idle.start();
    }

    async function useCode(raw) {
      const { code, error } = readCode(raw);
      if (error) { setError(error === 'mistyped' ? cfg.msgMistyped : cfg.msgNotfound); return; }
      try {
        if ((await queue.all()).some(i => i.receipt === code)) { setError(cfg.msgUsed); return; }
      } catch (e) { /* no queue to look in */ }
      let agency = '';
      try {
        const res = await fetch('/kiosk/api/check', {
          method: 'POST', credentials: 'same-origin', cache: 'no-store',
          headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ receipt: code }),
        });
        if (res.status === 404) {
          const body = await res.json().catch(() => ({}));
          setError(body.error && body.error.code === 'ambiguous_number' ? cfg.msgAmbiguous : cfg.msgNotfound);
          return;
        }
        if (res.status === 409) { setError(cfg.msgUsed); return; }
        if (res.status === 410) { setError(cfg.msgExpired); return; }
        if (res.status === 429) { setError(cfg.msgHeldback); return; }
        if (res.ok) agency = (await res.json()).agency;
      } catch (e) {
        // Offline: answer now; the server checks the code when the answer is sent.
      }
      begin(code, agency);
    }

    $('k-code').addEventListener('submit', e => { e.preventDefault(); useCode(codeInput.value); });
    codeInput.addEventListener('input', () => { if (!screens.start.hidden) idle.start(); });
    const stopCamera = setupScanner(code => { codeInput.value = code; useCode(code); }, () => setError(cfg.msgCamera));
    const anon = $('k-anon');
    if (anon) {
      anon.addEventListener('submit', e => {
        e.preventDefault();
        if (!anonAllowed(Date.now())) { setError(cfg.msgWait); return; }
        begin('', '');
      });
    }
    $('k-cancel').addEventListener('click', e => { e.preventDefault(); reset(); });
    $('k-done-back').addEventListener('click', reset);

    form.addEventListener('submit', async e => {
      e.preventDefault();
      if (form.dataset.busy) return; // a double tap is one answer
      form.dataset.busy = '1';
      const now = Date.now();
      const item = answerOf(form, now);
      try {
        await queue.add(item); // committed before the citizen is thanked
      } catch (err) {
        // No IndexedDB (a private window): post the plain form, under its own new key.
        $('k-key').value = item.key;
        form.submit();
        return;
      }
      if (!item.receipt) noteAnon(now);
      idle.stop();
      show('done');
      let left = Number(cfg.done) || 6;
      $('k-done-n').textContent = left;
      doneTimer = setInterval(() => {
        left--;
        $('k-done-n').textContent = left;
        if (left <= 0) reset();
      }, 1000);
      await showPending();
      flush();
    });

    // Ask that the queue never be evicted under storage pressure, and keep the page and its
    // assets for starting offline (kiosk-sw.js serves them).
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register('/kiosk/sw.js', { scope: '/kiosk' }).catch(() => {});
    }
    if (window.caches && navigator.onLine) {
      const urls = [location.pathname + location.search];
      for (const el of document.querySelectorAll('link[rel=stylesheet][href], script[src]')) urls.push(el.getAttribute('href') || el.getAttribute('src'));
      caches.open(CACHE).then(c => c.addAll(urls)).catch(() => {});
    }
    window.addEventListener('online', () => { showOnline(); delay = RETRY_MIN; flush(); });
    window.addEventListener('offline', showOnline);
    showOnline();
    showPending();
    flush();
  }

  // The plain survey page (no JavaScript on the start screen got us here): only the idle reset.
  function plainSurvey(form) {
    const n = $('k-idle-n');
    const idle = idleTimer(Number(n && n.textContent) || 60, n, () => location.replace('/kiosk'));
    idle.start();
    form.addEventListener('submit', () => idle.stop());
  }

  // The enrolment page: the camera fills in the code.
  function enrolPage() {
    const input = $('k-code-input');
    setupScanner(code => { input.value = code; $('k-enrol').submit(); }, () => {});
  }

  document.addEventListener('DOMContentLoaded', () => {
    const app = $('k-app');
    if (app) kioskApp(app);
    else if ($('k-plain') && $('k-form')) plainSurvey($('k-form'));
    else if ($('k-enrol')) enrolPage();
  });
})();
