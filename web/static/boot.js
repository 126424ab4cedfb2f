// The web app's service worker (sw.js: the whole bundle pre-cached under a content-hash
// version, so the app reloads and starts with no connection) and its update prompt. The page
// (Rust, mobile/src/platform.rs) waits on `mandoobUpdate` and calls `mandoobApplyUpdate()`.
(() => {
  let found;
  // Resolves once a new version is ready while an older one runs this page.
  window.mandoobUpdate = new Promise((resolve) => { found = resolve; });
  let accepted = false;
  window.mandoobApplyUpdate = async () => {
    accepted = true;
    const reg = await navigator.serviceWorker.getRegistration();
    if (reg && reg.waiting) {
      reg.waiting.postMessage({ type: 'skip-waiting' });
    } else {
      // Already taken over (by another page of the app): this page only needs reloading.
      location.reload();
    }
  };
  if (!('serviceWorker' in navigator)) return;
  const hadController = navigator.serviceWorker.controller !== null;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (accepted) {
      location.reload();
    } else if (hadController) {
      // Another page of the app took the new version: offer the reload here too.
      found(true);
    }
  });
  navigator.serviceWorker.register('sw.js', { scope: './' }).then((reg) => {
    const check = () => { if (reg.waiting && navigator.serviceWorker.controller) found(true); };
    const watch = (w) => {
      if (w) w.addEventListener('statechange', () => { if (w.state === 'installed') check(); });
    };
    check();
    watch(reg.installing); // an update already installing when the page registered
    reg.addEventListener('updatefound', () => watch(reg.installing));
    // A representative may keep the app open for days: look for a new version every hour.
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  }).catch((e) => console.error('the service worker could not be registered', e));
})();
