// The dedicated Web Worker that runs the device engine (mobile/web-worker): SQLite on OPFS
// through the opfs-sahpool VFS, which needs a worker. Messages: see mobile/web-worker/src/lib.rs.
import init, { run_worker } from './mandoob_web_worker.js';

try {
  await init({ module_or_path: new URL('./mandoob_web_worker_bg.wasm', import.meta.url) });
  await run_worker();
} catch (e) {
  // The page waits for this message: tell it why the engine could not start.
  postMessage(JSON.stringify({ ready: false, error: `the app could not start: ${e}` }));
}
