// The HQ console in a real browser (headless Debian chromium, playwright-core). Driven by
// `tests/tests/console_browser.rs`, which runs the real server with two submitted cases (one
// overdue) and a representative's device, and answers this script's phases on stdin:
//
//   DECIDED <reference>   -> the test syncs the representative's device   -> SYNCED
//   REVOKED <device>      -> the test syncs the device, which is refused   -> REFUSED
//
// Then it tours the pages (queue, case, dashboard, administration, audit log, and the others) in
// Arabic and English at 360x640, 320x640 and 1280x900, and fails when a page is wider than the
// window, text is under 16 px, (on a phone) a control is under 44 px, or a date, reference or
// amount reads in the wrong order among text of the other direction (`layout.mjs`).
//
// Environment: SERVER_URL, PASSWORD, OVERDUE_REF, RECENT_REF, DEVICE, PHOTO_SHA, SHOTS (where
// screenshots go: `{ar,en}-{page}-{360,1280}.png`).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { check, done, env, launch, phase, watchCsp } from './harness.mjs';
import { bidiProblems, layoutProblems } from './layout.mjs';

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

async function signIn(user, on = page) {
  await on.goto(`${SERVER}/console/sign-in`);
  await on.fill('input[name=username]', user);
  await on.fill('input[name=password]', env('PASSWORD'));
  await Promise.all([on.waitForNavigation(), on.click('button[type=submit]')]);
}

// The widths every page must hold at: two phones (screenshots of the first) and a desktop.
const WIDTHS = [[360, 640, true], [320, 640, false], [1280, 900, true]];
const problems = [];

/** Shows each of `pages` ([name, path]) to `user` in Arabic and English at every width:
 *  screenshots, and the layout's problems kept in `problems`. */
async function tour(user, pages) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  watchCsp(ctx, refusals);
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  if (user) await signIn(user, p);
  for (const lang of ['ar', 'en']) {
    await p.goto(`${SERVER}/console/lang/${lang}?back=/console/sign-in`);
    for (const [name, path] of pages) {
      for (const [width, height, keep] of WIDTHS) {
        await p.setViewportSize({ width, height });
        await p.goto(`${SERVER}${path}`);
        check(await p.getAttribute('html', 'lang') === lang, `${name} in ${lang}`);
        if (keep) await p.screenshot({ path: join(SHOTS, `${lang}-${name}-${width}.png`), fullPage: true });
        for (const problem of [...await layoutProblems(p, width < 500), ...await bidiProblems(p)]) {
          problems.push(`${lang} ${name} at ${width} px: ${problem}`);
        }
      }
    }
  }
  return { ctx, page: p };
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

  const caseUrl = (ref) => page.getAttribute(`tr[data-reference="${ref}"] a`, 'href');
  const overdueCase = await caseUrl(OVERDUE);
  const recentCase = await caseUrl(RECENT);
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

  // Nothing is chosen in advance: the browser will not send the form until the committee does.
  check(await page.$eval('form.decide', (f) => !f.checkValidity()), 'no decision chosen in advance');
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
  check(await page.locator('figure.chart ol.bars').count() >= 4, 'charts drawn');

  // The same pages in English, left to right.
  await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
  check(await page.getAttribute('html', 'dir') === 'ltr', 'English is left-to-right');
  check((await page.textContent('h1')).includes('Dashboard'), 'the dashboard in English');
  await page.goto(`${SERVER}/console/queue?status=all`);
  await Promise.all([page.waitForNavigation(), page.click(`tr[data-reference="${OVERDUE}"] a`)]);
  check((await page.textContent('body')).includes('Request accepted'), 'the timeline shows the decision');
  // The Arabic reason keeps its own direction in the English timeline, beside an isolated date.
  check(await page.$eval('ol.timeline q', (q) => getComputedStyle(q).direction) === 'rtl', 'the reason reads right to left');

  // Sign out; the administrator revokes the representative's lost phone.
  await Promise.all([page.waitForNavigation(), page.click('form[action="/console/sign-out"] button')]);
  check(page.url().endsWith('/console/sign-in'), 'signed out');
  await page.goto(`${SERVER}/console/queue`);
  check(page.url().endsWith('/console/sign-in'), 'the console is closed after sign-out');
  await signIn('admin');
  await page.goto(`${SERVER}/console/admin`);
  const device = env('DEVICE');
  // Revoking asks first, on a page that names the device.
  await Promise.all([page.waitForNavigation(), page.click(`tr[data-device="${device}"] a.danger`)]);
  check((await page.textContent('#revoke')).includes(device), 'the confirmation names the device');
  await Promise.all([page.waitForNavigation(), page.click('#revoke button[type=submit]')]);
  check(await page.locator(`tr[data-device="${device}"] .badge.late`).count() === 1, 'the device shows as revoked');
  await phase(`REVOKED ${device}`, 'REFUSED');
  await page.goto(`${SERVER}/console/audit`);
  const audit = await page.textContent('table.audit');
  check(audit.includes('Revoked a device') && audit.includes('Recorded a decision'), `both actions audited, in words: ${audit}`);
  check(!audit.includes('revoke-device'), 'no raw keys in the audit log');

  // Every page at every width, in both languages.
  await tour(null, [['sign-in', '/console/sign-in']]);
  const committee = await tour('committee', [
    ['queue', '/console/queue?status=all'],
    ['case', recentCase],
    ['decided-case', overdueCase],
    ['dashboard', '/console/dashboard'],
    ['referrals', '/console/referrals'],
    ['households', '/console/households'],
  ]);
  await committee.ctx.close();
  const admin = await tour('admin', [['admin', '/console/admin'], ['audit', '/console/audit']]);
  // The username's pattern is one the browser can use (Chromium compiles patterns with the
  // `v` flag and ignores one that does not compile), so it checks it before sending.
  const a = admin.page;
  await a.goto(`${SERVER}/console/admin`);
  const patterns = await a.$$eval('input[pattern]', (inputs) => inputs.map((i) => i.pattern));
  check(patterns.length >= 2, 'the forms have patterns');
  for (const pattern of patterns) {
    check(await a.evaluate((p) => { try { new RegExp(p, 'v'); return true; } catch { return false; } }, pattern),
      `the pattern ${pattern} does not compile with the v flag`);
  }
  await a.fill('input[name=username]', 'Has Space');
  check(await a.$eval('input[name=username]', (i) => i.validity.patternMismatch), 'a bad username is caught by the browser');
  await a.fill('input[name=username]', 'new.user-1');
  check(!(await a.$eval('input[name=username]', (i) => i.validity.patternMismatch)), 'a good username passes');
  // A username already taken: the form comes back as typed, the reason beside the username.
  await a.fill('input[name=username]', 'committee');
  await a.fill('input[name=display_name]', 'Typed Name');
  await a.selectOption('select[name=branch]', 'JHR');
  await a.fill('input[name=password]', 'a long enough password');
  await Promise.all([a.waitForNavigation(), a.click('#new-user button[type=submit]')]);
  check(await a.inputValue('input[name=display_name]') === 'Typed Name', 'the name is kept');
  check(await a.inputValue('select[name=branch]') === 'JHR', 'the branch is kept');
  check(await a.getAttribute('input[name=username]', 'aria-invalid') === 'true', 'the username is marked');
  check(await a.locator('#new-user .field-error').isVisible(), 'the reason shows beside it');
  // Dangerous buttons do not look like the main action.
  const colour = (sel) => a.$eval(sel, (e) => getComputedStyle(e).backgroundColor);
  check(await colour('#new-user button') !== await colour('tr[data-user=committee] button.danger'), 'deactivate looks different');
  await admin.ctx.close();
  check(problems.length === 0, `the layout does not hold:\n${problems.join('\n')}`);
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
