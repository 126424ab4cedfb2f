// The installable web app end to end in headless Chromium (issue 7): loaded from the real HQ
// server, then used with no connection at all, across a reload and a browser relaunch.
// Driven by `tests/tests/web_app.rs`, which runs the server and answers this script's phases:
//
//   SUBMITTED <ref>    -> stops the server              -> STOPPED
//   RELAUNCHED <ref>   -> starts it again, same port    -> STARTED
//   SYNCED <ref> <ref2> -> checks the cases and photos on the server -> CHECKED
//
// Environment: APP_URL (the app on the server), USERNAME, PASSWORD, CIVIL_ID, CIVIL_ID_2, PHOTOS (the
// fixture photos), PROFILE (a fresh browser profile), WEB_DIR (the files the server serves:
// the script publishes a "new version" there to see the update prompt), SHOTS, CASES (how many
// cases the server holds for the branch before the app first syncs).

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, check, done, drawSignature, env, phase, watchCsp } from './harness.mjs';

const APP = env('APP_URL');
const SHOTS = env('SHOTS');
const PHOTOS = env('PHOTOS');
const PROFILE = env('PROFILE');
const WEB_DIR = env('WEB_DIR');
const CASES = Number(env('CASES'));
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

// The bundle a phone downloads once: every file, raw and gzipped.
const files = (dir) => readdirSync(dir).flatMap((f) => {
  const p = join(dir, f);
  return statSync(p).isDirectory() ? files(p) : [p];
});
// What a phone downloads: each file once, as the server sends it to a browser that accepts
// brotli (its .br copy when the build made one, else the file).
let raw = 0;
let gz = 0;
let br = 0;
for (const f of files(WEB_DIR).filter((f) => !/\.(gz|br)$/.test(f))) {
  const bytes = readFileSync(f);
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
  try { br += statSync(`${f}.br`).size; } catch { br += bytes.length; }
}
console.error(`bundle: ${raw} bytes raw, ${gz} bytes gzipped, ${br} bytes as sent with brotli`);

// What the server's security policy refused, in every launch (there must be nothing).
const refusals = [];
const open = async () => {
  const context = await chromium.launchPersistentContext(PROFILE, {
    ...CHROMIUM, viewport: { width: 360, height: 640 }, deviceScaleFactor: 1,
  });
  watchCsp(context, refusals);
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error(`page error: ${e}`));
  return { context, page };
};
const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
// The time from the start of this page load to a case list the representative can use.
const listShownAfter = async (page) => {
  await page.waitForSelector('.case-row');
  return page.evaluate(() => Math.round(performance.now()));
};

// Registers a household from the form; the new case's reference.
const register = async (page, h) => {
  await page.click('#nav-register');
  await page.fill('#name-ar', h.name);
  await page.fill('#civil-id', h.civilId);
  await page.fill('#phone', h.phone);
  await page.selectOption('#governorate', h.governorate);
  await page.fill('#area', h.area);
  await page.click('#register');
  await page.waitForSelector('#case-title');
  return (await page.textContent('#case-reference')).trim();
};

let { context, page } = await open();
try {
  // Enrol: online once, from the server's own address.
  await page.goto(APP);
  await page.waitForSelector('#server');
  check(await page.inputValue('#server') === new URL(APP).origin, 'the sign-in proposes this server');
  await shot(page, 'web-01-sign-in');
  await page.fill('#username', env('USERNAME'));
  await page.fill('#password', env('PASSWORD'));
  const signedIn = Date.now();
  await page.click('#signin');
  await page.waitForSelector('#sync-badge.sync-up-to-date', { timeout: 120000 });
  console.error(`sign-in and first sync of ${CASES} cases: ${Date.now() - signedIn} ms`);
  await page.waitForSelector('.case-row');
  // The service worker has the whole app before the connection goes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.evaluate(() => navigator.serviceWorker.ready);
  // Installable: Chromium finds nothing missing (manifest, icons, service worker).
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  check(installabilityErrors.length === 0, `installable: ${JSON.stringify(installabilityErrors)}`);
  const { errors: manifestErrors } = await cdp.send('Page.getAppManifest');
  check(manifestErrors.length === 0, `manifest: ${JSON.stringify(manifestErrors)}`);
  await cdp.detach();

  // No connection from here on, and the page reloads: the app starts from its cache.
  await context.setOffline(true);
  const reloads = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    reloads.push(await listShownAfter(page));
  }
  console.error(`reload to a usable case list, offline, ${CASES} cases stored: ${reloads.join(', ')} ms`);
  await shot(page, 'web-02-offline-cases');

  // Register a household.
  const reference = await register(page, {
    name: 'مريم حسن الرشيدي', civilId: env('CIVIL_ID'), phone: '99112233', governorate: 'jahra', area: 'الجهراء',
  });

  // The request.
  await page.click('#step-interview');
  await page.selectOption('#request-kind', 'food-basket');
  await page.fill('#request-reason', 'انقطع دخل الأسرة بعد مرض رب الأسرة');
  await page.click('#interview-save');
  await page.waitForSelector('.ok');

  // A real phone photo (stored sideways, EXIF orientation 6), through the capture pipeline.
  await page.click('#step-documents');
  await page.waitForSelector('input[id^="capture-civil-id"]');
  check(await page.getAttribute('input[id^="capture-civil-id"]', 'capture') === 'environment', 'the camera opens');
  await page.setInputFiles('input[id^="capture-civil-id"]', join(PHOTOS, 'Portrait_6.jpg'));
  await page.waitForSelector('.doc.present img.thumb', { timeout: 60000 });
  const size = await page.$eval('.doc.present img.thumb', (img) => [img.naturalWidth, img.naturalHeight]);
  check(size[1] > size[0], `the photo is upright: ${size}`);
  await shot(page, 'web-03-documents');

  // The applicant signs the declaration.
  await page.click('#step-declaration');
  await drawSignature(page);
  await page.click('#signature-save');
  await page.waitForSelector('#signature-saved');

  // Submit.
  await page.click('#step-submit');
  await page.click('#submit');
  await page.waitForSelector('#receipt');
  check((await page.textContent('#receipt-reference')).trim() === reference, 'the receipt names the case');
  await shot(page, 'web-04-receipt');
  await phase(`SUBMITTED ${reference}`, 'STOPPED');

  // Close the browser; open it again on the same profile while the server is down.
  await context.close();
  ({ context, page } = await open());
  await page.goto(APP);
  await page.waitForSelector(`.case-row[data-reference="${reference}"]`);
  await shot(page, 'web-05-relaunched');

  // A second tab of the app: one tab writes; the second one says so and touches nothing.
  const second = await context.newPage();
  await second.goto(APP);
  await second.waitForSelector('#unavailable', { timeout: 30000 });
  await shot(second, 'web-06-second-tab');
  // The first tab still reads and writes.
  const secondReference = await register(page, {
    name: 'سعاد فهد المطيري', civilId: env('CIVIL_ID_2'), phone: '99445566', governorate: 'mubarak-al-kabeer', area: 'القرين',
  });
  await second.close();
  await phase(`RELAUNCHED ${reference}`, 'STARTED');

  // Online again: sync; the cases and the photos go to the server.
  await page.click('#nav-sync');
  await page.click('#sync-now');
  await page.waitForSelector('#sync-state.sync-up-to-date', { timeout: 120000 });
  await page.waitForFunction(() => /\D0$/.test(document.querySelector('#pending-photos').textContent.replace(/[\u2066-\u2069]/g, '').trim()));
  // The browser's storage: asked to keep it, and what it uses.
  await page.waitForSelector('#browser-storage');
  console.error(`browser storage: ${(await page.textContent('#browser-storage')).trim()}`);
  await shot(page, 'web-07-synced');
  await phase(`SYNCED ${reference} ${secondReference}`, 'CHECKED');

  // HQ publishes a new version: the app offers it, and switches when asked.
  const sw = join(WEB_DIR, 'sw.js');
  const next = readFileSync(sw, 'utf8').replace(/const VERSION = '([^']+)'/, "const VERSION = '$1-next'");
  writeFileSync(sw, next);
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.waitForSelector('#update-banner', { timeout: 60000 });
  await shot(page, 'web-08-update');
  await Promise.all([page.waitForEvent('load'), page.click('#update-reload')]);
  await page.waitForSelector('.case-row');
  const caches_now = await page.evaluate(() => caches.keys());
  check(caches_now.length === 1 && caches_now[0].endsWith('-next'), `only the new version is cached: ${caches_now}`);
  check(refusals.length === 0, `the security policy refused something: ${refusals}`);
  console.log('DONE');
} finally {
  await context.close();
  done();
}
