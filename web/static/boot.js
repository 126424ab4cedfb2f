// The web app's service worker (sw.js: the whole bundle pre-cached under a content-hash
// version, so the app reloads and starts with no connection) and its update prompt. The page
// (Rust, mobile/src/platform.rs) waits on `mandoobUpdate` and calls `mandoobApplyUpdate()`.
(() => {
  let found;
  // Resolves once a new version is installed and waiting while an older one runs this page.
  window.mandoobUpdate = new Promise((resolve) => { found = resolve; });
  let accepted = false;
  window.mandoobApplyUpdate = async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    if (reg && reg.waiting) {
      accepted = true;
      reg.waiting.postMessage({ type: 'skip-waiting' });
    }
  };
  if (!('serviceWorker' in navigator)) return;
  // Reload into the new version only when the representative asked for it.
  navigator.serviceWorker.addEventListener('controllerchange', () => { if (accepted) location.reload(); });
  navigator.serviceWorker.register('sw.js', { scope: './' }).then((reg) => {
    const check = () => { if (reg.waiting && navigator.serviceWorker.controller) found(true); };
    check();
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      if (w) w.addEventListener('statechange', () => { if (w.state === 'installed') check(); });
    });
    // A representative may keep the app open for days: look for a new version every hour.
    setInterval(() => reg.update().catch(() => {}), 60 * 60 * 1000);
  }).catch((e) => console.error('the service worker could not be registered', e));
})();
