// The HQ console in a real browser (headless Debian chromium, playwright-core). Driven by
// `tests/tests/console_browser.rs`, which runs the real server with two submitted cases (one
// overdue) and a representative's device, and answers this script's phases on stdin:
//
//   DECIDED <reference>   -> the test syncs the representative's device   -> SYNCED
//   REVOKED <device>      -> the test syncs the device, which is refused   -> REFUSED
//
// Environment: SERVER_URL, PASSWORD, OVERDUE_REF, RECENT_REF, DEVICE, PHOTO_SHA, SHOTS (where screenshots
// go: queue, case and dashboard in Arabic and English).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { check, done, env, launch, phase, watchCsp } from './harness.mjs';

const SERVER = env('SERVER_URL');
const SHOTS = env('SHOTS');
const OVERDUE = env('OVERDUE_REF');
const RECENT = env('RECENT_REF');
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

const browser = await launch();
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const refusals = watchCsp(context, []);
const page = await context.newPage();
page.setDefaultTimeout(20000);
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

async function signIn(user) {
  await page.goto(`${SERVER}/console/sign-in`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', env('PASSWORD'));
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

try {
  // The committee member signs in; Arabic, right to left, by default.
  await signIn('committee');
  check(page.url().endsWith('/console/queue'), `after sign-in at ${page.url()}`);
  check(await page.getAttribute('html', 'dir') === 'rtl', 'the console is right-to-left');
  const refs = await page.$$eval('table.queue tbody tr', (rows) => rows.map((r) => r.dataset.reference));
  check(refs[0] === OVERDUE, `the overdue case first, got ${refs.join(', ')}`);
  check(refs.includes(RECENT), 'the recent case is listed');
  check(await page.locator('tr.overdue').count() === 1, 'one overdue row, marked');
  await shot('ar-queue');

  // Open the overdue case (the first row).
  await Promise.all([page.waitForNavigation(), page.click('table.queue tbody tr:first-child a')]);
  check((await page.textContent('h1')).includes(OVERDUE), 'the case page of the overdue case');
  // The real photo's thumbnail loads (served only to readers of this case), and its link
  // opens the full image.
  const photo = env('PHOTO_SHA');
  const thumb = page.locator(`.thumbs a[href="/console/blobs/${photo}"] img`);
  await thumb.scrollIntoViewIfNeeded();
  await page.waitForFunction((sha) => {
    const img = document.querySelector(`.thumbs a[href="/console/blobs/${sha}"] img`);
    return img && img.complete && img.naturalWidth > 0;
  }, photo);
  const full = await page.request.get(`${SERVER}/console/blobs/${photo}`);
  check(full.ok() && full.headers()['content-type'] === 'image/jpeg', 'the full photo opens');
  await shot('ar-case');

  // Reject without a reason: refused, with a clear message.
  await page.check('input[name=outcome][value=rejected]');
  await page.fill('textarea[name=reason]', '');
  await Promise.all([page.waitForNavigation(), page.click('form.decide button[type=submit]')]);
  const alert = await page.textContent('[role=alert]');
  check(alert && alert.includes('السبب'), `a reason is asked for, got: ${alert}`);
  check(await page.locator('form.decide').count() === 1, 'still awaiting a decision');

  // Accept with a reason.
  await page.check('input[name=outcome][value=accepted]');
  await page.fill('textarea[name=reason]', 'الأسرة مستحقة وفق دراسة الحالة');
  await Promise.all([page.waitForNavigation(), page.click('form.decide button[type=submit]')]);
  check((await page.textContent('[role=status]')).includes('قُبل'), 'the decision is confirmed');
  check(await page.locator('form.decide').count() === 0, 'no longer awaiting a decision');
  await phase(`DECIDED ${OVERDUE}`, 'SYNCED');

  // The queue now holds only the recent case; the dashboard counts the decision.
  await page.goto(`${SERVER}/console/queue`);
  const left = await page.$$eval('table.queue tbody tr', (rows) => rows.map((r) => r.dataset.reference));
  check(left.length === 1 && left[0] === RECENT, `left in the queue: ${left.join(', ')}`);
  await page.goto(`${SERVER}/console/dashboard`);
  check(await page.locator('figure.chart svg').count() >= 4, 'charts drawn');
  await shot('ar-dashboard');

  // The same pages in English, left to right.
  await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
  check(await page.getAttribute('html', 'dir') === 'ltr', 'English is left-to-right');
  check((await page.textContent('h1')).includes('Dashboard'), 'the dashboard in English');
  await shot('en-dashboard');
  await page.goto(`${SERVER}/console/queue?status=all`);
  await shot('en-queue');
  await Promise.all([page.waitForNavigation(), page.click(`tr[data-reference="${OVERDUE}"] a`)]);
  check((await page.textContent('body')).includes('Request accepted'), 'the timeline shows the decision');
  await shot('en-case');

  // Sign out; the administrator revokes the representative's lost phone.
  await Promise.all([page.waitForNavigation(), page.click('form[action="/console/sign-out"] button')]);
  check(page.url().endsWith('/console/sign-in'), 'signed out');
  await page.goto(`${SERVER}/console/queue`);
  check(page.url().endsWith('/console/sign-in'), 'the console is closed after sign-out');
  await signIn('admin');
  await page.goto(`${SERVER}/console/admin`);
  const device = env('DEVICE');
  await Promise.all([page.waitForNavigation(), page.click(`tr[data-device="${device}"] button`)]);
  check(await page.locator(`tr[data-device="${device}"] .badge.late`).count() === 1, 'the device shows as revoked');
  await shot('en-admin');
  await phase(`REVOKED ${device}`, 'REFUSED');
  await page.goto(`${SERVER}/console/audit`);
  const audit = await page.textContent('table.audit');
  check(audit.includes('revoke-device') && audit.includes('decision'), 'both actions audited');
  check(refusals.length === 0, `the security policy refused something: ${refusals}`);
  console.log('DONE');
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(e);
  console.log('FAILED');
  process.exitCode = 1;
} finally {
  done();
  await browser.close();
}
