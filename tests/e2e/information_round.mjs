// An information round in the web app (issue 15), in headless Chromium at 360x640. Driven by
// `tests/tests/information_round.rs`, which runs the real HQ server, submits the case from the
// representative's other device and has the committee ask its question before this starts:
//
//   ANSWERED <ref>   -> checks the queue and the case, grants a smaller amount -> DECIDED
//
// Environment: APP_URL, USERNAME, PASSWORD, REFERENCE, QUESTION, ANSWER, SPOUSE_INDEX (its
// place in the household list), SPOUSE_CIVIL_ID, SPOUSE_BIRTH, PHOTOS, PROFILE, SHOTS, REQUESTED and GRANTED (amounts as the app shows them).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, check, done, env, phase } from './harness.mjs';

const SHOTS = env('SHOTS');
const REFERENCE = env('REFERENCE');
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

const context = await chromium.launchPersistentContext(env('PROFILE'), {
  ...CHROMIUM, viewport: { width: 360, height: 640 }, deviceScaleFactor: 1,
});
// The phone's share sheet: headless Chromium has none, so one that records what it was given.
await context.addInitScript(() => {
  navigator.share = async (data) => { window.__shared = data; };
});
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(30000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// Fluent isolates placeables with invisible marks; compare text without them.
const text = async (sel) => (await page.textContent(sel)).replace(/[\u2066-\u2069]/g, '').trim();
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
// Both languages of the screen on show: Arabic first, then English, back to Arabic.
const shots = async (name) => {
  await shot(`ar-${name}`);
  await page.click('#lang');
  await page.waitForSelector('.app[lang="en"]');
  await shot(`en-${name}`);
  await page.click('#lang');
  await page.waitForSelector('.app[lang="ar"]');
};
const sync = async () => {
  await page.click('#nav-sync');
  await page.click('#sync-now');
  await page.waitForSelector('#sync-state.sync-up-to-date', { timeout: 60000 });
};
const openCase = async () => {
  await page.click('#nav-cases');
  await page.click(`.case-row[data-reference="${REFERENCE}"]`);
  await page.waitForSelector('#case-title');
};

try {
  await page.goto(env('APP_URL'));
  await page.waitForSelector('#server');
  await page.fill('#username', env('USERNAME'));
  await page.fill('#password', env('PASSWORD'));
  // The device's name: the browser's guess, which the representative can change.
  await page.waitForFunction(() => document.querySelector('#device-name').value.includes('·'));
  await page.fill('#device-name', 'هاتف المندوب ٢');
  await page.click('#signin');
  await page.waitForSelector('#sync-badge.sync-up-to-date', { timeout: 60000 });

  // The list: "needs my answer" finds the case, marked with the committee's question.
  await page.click('#nav-cases');
  await page.check('#needs-answer-filter');
  await page.waitForSelector(`.case-row[data-reference="${REFERENCE}"] .flag.question`);
  check((await page.$$('.case-row')).length === 1, 'the filter shows only the cases to answer');
  await shots('round-01-needs-answer');

  // The case: the question on top of every tab, and in step 7 the answer form.
  await page.click(`.case-row[data-reference="${REFERENCE}"]`);
  await page.waitForSelector('#committee-question');
  check((await text('#committee-question')).includes(env('QUESTION')), 'the question is shown');
  await page.waitForSelector('#info-round');
  await shots('round-02-question');

  // No connection from here: the corrections and the answer are made in the home.
  await context.setOffline(true);

  // The spouse's civil ID corrected (an invalid one first: refused beside the field, the
  // form keeps what was typed).
  await page.click('#step-registration');
  await page.click(`#member-${env('SPOUSE_INDEX')}-edit`);
  await page.waitForFunction(() => document.querySelector('#member-civil-id').value !== '');
  await page.fill('#member-civil-id', '28');
  await page.click('#member-add');
  await page.waitForSelector('#member-civil-id-error');
  check((await page.inputValue('#member-civil-id')) === '28', 'the form kept what was typed');
  await page.fill('#member-civil-id', env('SPOUSE_CIVIL_ID'));
  await page.fill('#member-birth', env('SPOUSE_BIRTH'));
  await page.click('#member-add');
  await page.waitForFunction((id) => document.querySelector('.members').innerText.includes(id), env('SPOUSE_CIVIL_ID'));

  // The document the committee asked for, beside the checklist.
  await page.click('#step-documents');
  await page.selectOption('#other-document-kind', 'rent-contract');
  await page.setInputFiles('#capture-extra', join(env('PHOTOS'), 'DSCN0010.jpg'));
  await page.waitForSelector('#other-documents li img.thumb', { timeout: 60000 });
  await shots('round-03-document-added');

  // The answer: refused empty, then sent; the request goes back to the committee.
  await page.click('#step-submit');
  await page.click('#send-answer');
  await page.waitForSelector('#info-round .field-error');
  await page.fill('#round-answer', env('ANSWER'));
  await shots('round-04-answer');
  await page.click('#send-answer');
  await page.waitForSelector('#case-status.status-awaiting-decision');
  check(!(await page.$('#committee-question')), 'the question is answered');
  await shots('round-05-resubmitted');
  // Sent to the committee again: the app offers no edit the server would refuse (no new
  // signature, no document outside an information round).
  await page.click('#step-declaration');
  await page.waitForSelector('#declaration-frozen');
  check(!(await page.$('#signature-pad')) && !(await page.$('#signature-save')), 'no signature offered after submission');
  await page.click('#step-documents');
  await page.waitForSelector('#documents-frozen');
  check((await page.$$('input[type=file]')).length === 0, 'no document offered after submission');
  await shots('round-05b-frozen');

  // Back online: the answer goes to headquarters.
  await context.setOffline(false);
  await sync();

  // What the committee sees in its console (a desktop screen): the request back in the
  // queue with its round, and on the case the question, the answer and the grant fields.
  const hq = await context.newPage();
  hq.setDefaultTimeout(30000);
  await hq.setViewportSize({ width: 1280, height: 900 });
  const origin = new URL(env('APP_URL')).origin;
  await hq.goto(`${origin}/console/sign-in`);
  await hq.fill('input[name=username]', 'committee');
  await hq.fill('input[name=password]', env('PASSWORD'));
  await Promise.all([hq.waitForNavigation(), hq.click('button[type=submit]')]);
  check(await hq.locator(`tr[data-reference="${REFERENCE}"] .badge.round`).count() === 1, 'the round in the queue');
  await hq.screenshot({ path: join(SHOTS, 'ar-console-queue.png'), fullPage: true });
  // The queue at phone width too, in both languages.
  await hq.setViewportSize({ width: 360, height: 640 });
  await hq.screenshot({ path: join(SHOTS, 'ar-console-queue-360.png'), fullPage: true });
  await hq.goto(`${origin}/console/lang/en`);
  await hq.goto(`${origin}/console/queue`);
  await hq.screenshot({ path: join(SHOTS, 'en-console-queue-360.png'), fullPage: true });
  await hq.setViewportSize({ width: 1280, height: 900 });
  await hq.screenshot({ path: join(SHOTS, 'en-console-queue.png'), fullPage: true });
  await hq.goto(`${origin}/console/lang/ar`);
  await hq.goto(`${origin}/console/queue`);
  await Promise.all([hq.waitForNavigation(), hq.click(`tr[data-reference="${REFERENCE}"] a`)]);
  check((await hq.textContent('ol.rounds')).includes(env('ANSWER')), 'the answer on the case');
  check(await hq.locator('input[name=granted]').count() === 1, 'the grant field in the decision form');
  await hq.locator('#requests').screenshot({ path: join(SHOTS, 'ar-console-case-round.png') });
  await hq.goto(`${origin}/console/lang/en`);
  await hq.goto(`${origin}/console/queue`);
  await Promise.all([hq.waitForNavigation(), hq.click(`tr[data-reference="${REFERENCE}"] a`)]);
  await hq.locator('#requests').screenshot({ path: join(SHOTS, 'en-console-case-round.png') });
  await hq.close();
  await phase(`ANSWERED ${REFERENCE}`, 'DECIDED');

  // The decision reaches the device, with the amount granted.
  await sync();
  await openCase();
  await page.click('#step-submit');
  await page.waitForSelector('#granted');
  const granted = await text('#granted');
  check(granted.includes(env('GRANTED')) && granted.includes(env('REQUESTED')), `granted and requested shown: ${granted}`);
  await shots('round-06-granted');

  // Telling the family: the decision as a short Arabic text, shared or printed.
  await page.click('#show-receipt');
  await page.waitForSelector('#share-text');
  const message = await text('#share-text');
  check(message.includes(REFERENCE) && message.includes(env('GRANTED')), `the family's text: ${message}`);
  await page.click('#share-family');
  await page.waitForSelector('#shared');
  const sheet = await page.evaluate(() => window.__shared);
  check(sheet && sheet.text.replace(/[\u2066-\u2069]/g, '').includes(REFERENCE), `the share sheet got the family's text: ${JSON.stringify(sheet)}`);
  await shots('round-07-tell-family');
  // Printed, in both languages: the receipt alone.
  for (const lang of ['ar', 'en']) {
    if (lang === 'en') {
      await page.click('#lang');
      await page.waitForSelector('.app[lang="en"]');
    }
    await page.emulateMedia({ media: 'print' });
    await shot(`${lang}-round-08-printed`);
    check(!(await page.isVisible('nav.nav')) && !(await page.isVisible('#share-family')), 'the printed page is the receipt alone');
    await page.emulateMedia({ media: 'screen' });
  }
  await page.click('#lang');
  await page.waitForSelector('.app[lang="ar"]');
  check(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  console.log('DONE');
} finally {
  await context.close();
  done();
}
