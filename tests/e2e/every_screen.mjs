// Every screen of the field app (the web app, as phones use it) and of the HQ console, in
// Arabic and English, checked as a person would look at it (issue 16). Driven by
// `tests/tests/every_screen.rs`, which runs the real server with the branch's households in
// every state a screen can show; this script only reports DONE, or fails with every problem
// it found, screen by screen.
//
// Environment: APP_URL, SERVER_URL, USERNAME, PASSWORD, PROFILE, FTL (the translations'
// folder), SHOTS, DRAFT_REF, DECIDED_REF, ASKED_REF, WAITING_REF (references of the
// households), DECIDED_CASE, ASKED_CASE, WAITING_CASE (their console paths), LONG_NAME_AR,
// LONG_NAME_EN (the decided household's head), DEVICE (a device of the branch, to revoke).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, check, done, env, watchCsp } from './harness.mjs';
import { bidiProblems, layoutProblems, messageKeys, textProblems } from './layout.mjs';

const SHOTS = env('SHOTS');
const SERVER = env('SERVER_URL');
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });
const keys = await messageKeys(env('FTL'));
const problems = [];
const refusals = [];

/** Checks the page as shown now; `name` says where, for the report and the screenshot. */
async function look(page, lang, name, width, shoot) {
  await page.evaluate(() => document.fonts.ready);
  if (shoot) await page.screenshot({ path: join(SHOTS, `${lang}-${name}-${width}.png`), fullPage: true });
  const found = [
    ...await layoutProblems(page, width < 500),
    ...await bidiProblems(page),
    ...await textProblems(page, lang, keys),
  ];
  for (const p of found) problems.push(`${lang} ${name} at ${width} px: ${p}`);
}

// The field app ------------------------------------------------------------------------------

const context = await chromium.launchPersistentContext(env('PROFILE'), {
  ...CHROMIUM, viewport: { width: 360, height: 640 }, deviceScaleFactor: 1,
});
watchCsp(context, refusals);
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(30000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const click = (sel) => page.click(sel);
const lang = async (want) => {
  if (await page.getAttribute('.app', 'lang') !== want) {
    await click('#lang');
    await page.waitForSelector(`.app[lang="${want}"]`);
  }
};
const WIDTHS = [[360, true], [320, false]];
/** Looks at the app's screen in both widths. */
const app = async (l, name) => {
  for (const [width, shoot] of WIDTHS) {
    await page.setViewportSize({ width, height: 640 });
    await look(page, l, `app-${name}`, width, shoot);
  }
  await page.setViewportSize({ width: 360, height: 640 });
};
const openCase = async (ref) => {
  await click('#nav-cases');
  await page.fill('#search', '');
  await click(`.case-row[data-reference="${ref}"]`);
  await page.waitForSelector('#case-title');
};
const STEPS = ['welcome', 'registration', 'interview', 'documents', 'referral', 'declaration', 'submit'];
const TABS = ['timeline', 'contacts', 'services', 'conflicts'];

try {
  await page.goto(env('APP_URL'));
  await page.waitForSelector('#username');
  for (const l of ['ar', 'en']) {
    await lang(l);
    await app(l, 'sign-in');
  }
  await lang('ar');
  await page.fill('#username', env('USERNAME'));
  await page.fill('#password', env('RESET_PASSWORD'));
  await click('#signin');
  // The administrator reset it: a new one first, with no way around (no navigation).
  await page.waitForSelector('#password-forced');
  check(!(await page.$('#nav-cases')), 'no navigation before the password is changed');
  for (const l of ['ar', 'en']) {
    await lang(l);
    await app(l, 'password-forced');
  }
  await lang('ar');
  await page.fill('#password-current', env('RESET_PASSWORD'));
  await page.fill('#password-new', env('NEW_PASSWORD'));
  await page.fill('#password-repeat', 'not the same one at all');
  await click('#password-submit');
  await page.waitForSelector('#password-error');
  await app('ar', 'password-mismatch');
  check(await page.inputValue('#password-new') === env('NEW_PASSWORD'), 'what was typed stays');
  await page.fill('#password-repeat', env('NEW_PASSWORD'));
  await click('#password-submit');
  await page.waitForSelector('#sync-badge.sync-up-to-date', { timeout: 120000 });

  for (const l of ['ar', 'en']) {
    await lang(l);
    await click('#nav-cases');
    await page.waitForSelector(`.case-row[data-reference="${env('DECIDED_REF')}"]`);
    await app(l, 'cases');
    // Searching by part of the long name.
    const all = (await page.$$('.case-row')).length;
    await page.fill('#search', l === 'ar' ? 'فهيد' : 'Sulaiman Nasser');
    await page.waitForFunction((n) => document.querySelectorAll('.case-row').length < n, all);
    await page.waitForSelector(`.case-row[data-reference="${env('DECIDED_REF')}"]`);
    await app(l, 'cases-search');
    await page.fill('#search', '');
    await click('#nav-register');
    await page.waitForSelector('#register');
    await app(l, 'register');
    await click('#nav-sync');
    await page.waitForSelector('#sync-now');
    await app(l, 'sync');
    // Changing the password from the sync screen: a wrong current one is refused, said in
    // the person's language, and the form keeps what was typed.
    await click('#change-password');
    await page.waitForSelector('#password-form');
    check(!(await page.$('#password-forced')), 'not forced from the sync screen');
    await page.fill('#password-current', 'not my password at all');
    await page.fill('#password-new', 'another long sentence of mine');
    await page.fill('#password-repeat', 'another long sentence of mine');
    await click('#password-submit');
    await page.waitForSelector('#password-error');
    check((await page.textContent('#password-error')).includes(l === 'ar' ? 'الحالية' : 'current'), 'the current password is named');
    await app(l, 'password-refused');
    await click('#password-back');
    await page.waitForSelector('#sync-now');
    await click('#nav-library');
    await page.waitForSelector('#policy');
    await app(l, 'library');

    for (const [which, ref] of [['draft', env('DRAFT_REF')], ['decided', env('DECIDED_REF')], ['asked', env('ASKED_REF')]]) {
      await openCase(ref);
      await click('#tab-visit');
      for (const step of STEPS) {
        await click(`#step-${step}`);
        await page.waitForTimeout(50);
        await app(l, `${which}-visit-${step}`);
      }
      for (const tab of TABS) {
        await click(`#tab-${tab}`);
        await page.waitForTimeout(50);
        await app(l, `${which}-${tab}`);
      }
    }
    // The receipt of the decided request, and the survey.
    await openCase(env('DECIDED_REF'));
    await click('#tab-visit');
    await click('#step-submit');
    await click('#show-receipt');
    await page.waitForSelector('#share-text');
    await app(l, 'receipt');
    await openCase(env('DECIDED_REF'));
    await click('#tab-services');
    await click('#survey-start');
    await page.waitForSelector('#survey-submit');
    await app(l, 'survey');
    await click('#survey-submit');
    await page.waitForSelector('#survey-error');
    await app(l, 'survey-empty');
  }
  // Arabic-Indic digits, as a setting kept across a reload: numbers, dates and counts
  // follow it, references stay as written.
  await lang('ar');
  await click('#nav-sync');
  await page.selectOption('#digits', 'arabic-indic');
  await page.waitForFunction(() => /[\u0660-\u0669]/.test(document.querySelector('#pending-changes').textContent));
  await page.reload();
  await page.waitForSelector('#nav-cases');
  await click('#nav-cases');
  await page.waitForSelector(`.case-row[data-reference="${env('DECIDED_REF')}"]`);
  const row = await page.textContent(`.case-row[data-reference="${env('WAITING_REF')}"]`);
  check(/[\u0660-\u0669]{4}-[\u0660-\u0669]{2}/.test(row), `the due date in Arabic-Indic digits after a reload: ${row}`);
  check(row.includes(env('WAITING_REF')), `the reference as written: ${row}`);
  await app('ar', 'cases-arabic-indic');
  await openCase(env('DECIDED_REF'));
  await click('#tab-visit');
  await click('#step-submit');
  await click('#show-receipt');
  await page.waitForSelector('#share-text');
  await app('ar', 'receipt-arabic-indic');
  const family = await page.textContent('#share-text');
  check(family.includes(env('DECIDED_REF')) && /[\u0660-\u0669]/.test(family), `the family's text: ${family}`);
  await click('#nav-sync');
  await page.selectOption('#digits', 'latin');
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
} finally {
  await context.close();
}

// The console --------------------------------------------------------------------------------

const browser = await chromium.launch(CHROMIUM);
/** Every page of `pages` ([name, path]) to `user`, in both languages at 360 and 1280 px. */
async function tour(user, pages) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  watchCsp(ctx, refusals);
  const p = await ctx.newPage();
  p.setDefaultTimeout(20000);
  if (user) {
    await p.goto(`${SERVER}/console/sign-in`);
    await p.fill('input[name=username]', user);
    await p.fill('input[name=password]', env('PASSWORD'));
    await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
  }
  for (const l of ['ar', 'en']) {
    await p.goto(`${SERVER}/console/lang/${l}?back=/console/sign-in`);
    for (const [name, path] of pages) {
      for (const [width, height] of [[360, 640], [320, 640], [1280, 900]]) {
        await p.setViewportSize({ width, height });
        await p.goto(`${SERVER}${path}`);
        check(await p.getAttribute('html', 'lang') === l, `${name} in ${l}`);
        await look(p, l, `console-${name}`, width, width !== 320);
      }
    }
  }
  await ctx.close();
}

try {
  await tour(null, [['sign-in', '/console/sign-in']]);
  await tour('committee', [
    ['queue', '/console/queue'],
    ['queue-all', '/console/queue?status=all'],
    ['case-decided', env('DECIDED_CASE')],
    ['case-asked', env('ASKED_CASE')],
    ['case-waiting', env('WAITING_CASE')],
    ['dashboard', '/console/dashboard'],
    ['referrals', '/console/referrals'],
    ['households', '/console/households'],
    ['households-search', `/console/households?q=${encodeURIComponent('شمري')}`],
    ['households-none', '/console/households?none=1'],
    ['not-found', '/console/cases/00000000-0000-7000-8000-000000000000'],
  ]);
  await tour('admin', [
    ['admin', '/console/admin'],
    ['revoke', `/console/admin/devices/${env('DEVICE')}/revoke`],
    ['audit', '/console/audit'],
    ['user', '/console/admin/users/rep-a'],
    ['password', '/console/password'],
  ]);
} finally {
  await browser.close();
}

check(refusals.length === 0, `the security policy refused something: ${refusals}`);
if (problems.length) {
  console.error(`${problems.length} problems:\n${problems.join('\n')}`);
  console.log('FAILED');
  process.exitCode = 1;
} else {
  console.log('DONE');
}
done();
