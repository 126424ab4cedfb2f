// The home visit end to end in a real browser (headless Debian chromium, playwright-core),
// over Dioxus liveview. Driven by `mobile/tests/field_app_browser.rs`, which runs the real HQ
// server and the app, and answers this script's phases on stdin:
//
//   SIGNED_IN          -> the server is stopped      -> OFFLINE
//   SUBMITTED <ref>    -> the server is started again -> ONLINE
//   SYNCED <ref>       -> checks the server, decides  -> DECIDED
//
// Environment: APP_URL, SERVER_URL, USERNAME, PASSWORD, CIVIL_ID, SPOUSE_CIVIL_ID, PHOTOS (a
// folder with the fixture photos), SHOTS (where screenshots go).

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { done, drawSignature, env, launch, phase } from './harness.mjs';

const APP = env('APP_URL');
const SHOTS = env('SHOTS');
const PHOTOS = env('PHOTOS');
rmSync(SHOTS, { recursive: true, force: true });
mkdirSync(SHOTS, { recursive: true });

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 1 });
page.setDefaultTimeout(20000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const shot = (name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const step = async (id) => { await page.click(`#${id}`); };

try {
  // Enrol: online once.
  await page.goto(APP);
  await page.waitForSelector('#server');
  await shot('ar-01-sign-in');
  await page.fill('#server', env('SERVER_URL'));
  await page.fill('#username', env('USERNAME'));
  await page.fill('#password', env('PASSWORD'));
  await step('signin');
  await page.waitForSelector('#sync-badge.sync-up-to-date');
  await phase('SIGNED_IN', 'OFFLINE');

  // Offline from here: register a household.
  await step('nav-register');
  await page.fill('#name-ar', 'خالد عبدالله العنزي');
  await page.fill('#name-en', 'Khaled Abdullah Al-Enezi');
  await page.fill('#civil-id', env('CIVIL_ID'));
  await page.fill('#phone', '99887766');
  await page.selectOption('#governorate', 'jahra');
  await page.fill('#area', 'الجهراء');
  await page.fill('#block', '4');
  await shot('ar-02-register');
  await step('register');
  await page.waitForSelector('#case-title');
  const reference = (await page.textContent('#case-reference')).trim();

  // A second family with the same civil ID: the warning comes before a second file.
  await step('nav-register');
  await page.fill('#name-ar', 'أسرة أخرى');
  await page.fill('#civil-id', env('CIVIL_ID'));
  await page.waitForSelector('#duplicate-warning .civil-id-held');
  if (!(await page.textContent('#duplicate-warning .civil-id-held')).includes(reference)) {
    throw new Error('the duplicate warning does not name the file that holds the civil ID');
  }
  await shot('ar-03-duplicate-warning');
  // Registered anyway (the representative's choice: a warning, not a refusal). Each file then
  // names the other where the civil ID is typed.
  await page.selectOption('#governorate', 'jahra');
  await step('register-anyway');
  await page.waitForSelector('#case-title');
  const second = (await page.textContent('#case-reference')).trim();
  if (second === reference) throw new Error('registering anyway opened the existing file');

  // Back to the first family's file.
  await step('nav-cases');
  await page.click(`.case-row[data-reference="${reference}"]`);
  await page.waitForSelector('#case-title');

  // 1. The visit starts at the family's home (its time, and the place when the phone gives
  // it), with what the representative sees; then the family's questions.
  await step('step-welcome');
  await step('visit-start');
  await page.waitForSelector('#visit-started');
  await page.fill('#visit-notes', 'شقة من غرفتين، رطوبة في الجدران، الأسرة كلها حاضرة');
  await step('visit-save');
  await page.waitForSelector('#visit-card .ok');
  await shot('ar-04a-visit');
  await page.fill('#inquiry-question', 'متى يصل الرد على الطلب؟');
  await page.fill('#inquiry-answer', 'خلال أسبوعين من رفع الطلب');
  await step('inquiry-log');
  await page.waitForSelector('.log li');

  // 2. The household: the spouse. A mistyped civil ID is refused beside the field, and what
  // was typed stays for the correction.
  await step('step-registration');
  await page.fill('#member-name', 'نورة سالم العنزي');
  await page.fill('#member-civil-id', '12345');
  await page.selectOption('#member-relation', 'spouse');
  await step('member-add');
  await page.waitForSelector('#member-civil-id-error');
  if ((await page.inputValue('#member-name')) !== 'نورة سالم العنزي') {
    throw new Error('the member form lost what was typed');
  }
  if ((await page.$$('.members li')).length !== 1) throw new Error('an invalid member was stored');
  await shot('ar-03b-member-refused');
  await page.fill('#member-civil-id', env('SPOUSE_CIVIL_ID'));
  await step('member-add');
  await page.waitForFunction(() => document.querySelectorAll('.members li').length === 2);
  if (await page.$('#member-civil-id-error')) throw new Error('the error stayed after the correction');
  // A correction of a member already stored: the form comes back filled, the save writes it.
  await step('member-1-edit');
  await page.waitForFunction(
    (id) => document.querySelector('#member-civil-id').value === id,
    env('SPOUSE_CIVIL_ID'),
    { timeout: 5000 },
  ).catch(() => { throw new Error('the correction form is not filled with the member'); });
  await page.fill('#member-name', 'نورة سالم مطر العنزي');
  await step('member-add');
  await page.waitForFunction(() => document.querySelector('.members').innerText.includes('مطر'));
  if ((await page.$$('.members li')).length !== 2) throw new Error('a correction added a member');
  // A member added by mistake: a birth date it cannot read is said beside the date, with
  // what was typed kept; then the member is stored and removed again.
  await page.fill('#member-name', 'عضو أضيف بالخطأ');
  await page.selectOption('#member-relation', 'son');
  await page.fill('#member-birth', 'أمس');
  await step('member-add');
  await page.waitForSelector('#member-birth-error');
  if ((await page.inputValue('#member-birth')) !== 'أمس'
    || (await page.inputValue('#member-name')) !== 'عضو أضيف بالخطأ') {
    throw new Error('an unreadable birth date lost the form');
  }
  if ((await page.$$('.members li')).length !== 2) throw new Error('a member with an unreadable date was stored');
  await page.fill('#member-birth', '');
  await step('member-add');
  await page.waitForFunction(() => document.querySelectorAll('.members li').length === 3);
  if (await page.$('#member-0-remove')) throw new Error('the head is offered for removal');
  await step('member-2-remove');
  await page.waitForFunction(() => document.querySelectorAll('.members li').length === 2);
  if ((await page.textContent('.members')).includes('بالخطأ')) throw new Error('the removed member stayed');
  if (!(await page.textContent('.members')).includes('مطر')) throw new Error('a removal took another member');
  // The head's details corrected in place: a mistyped phone is refused beside the field with
  // the form kept as typed; the correction is then stored.
  await step('member-0-edit');
  await page.waitForFunction(
    () => document.querySelector('#member-phone').value === '99887766',
    null,
    { timeout: 5000 },
  ).catch(() => { throw new Error('the correction form is not filled with the head'); });
  await page.waitForSelector('#civil-id-elsewhere');
  if (!(await page.textContent('#civil-id-elsewhere')).includes(second)) {
    throw new Error('the household step does not name the other file with this civil ID');
  }
  await page.fill('#member-phone', '12345');
  await step('member-add');
  await page.waitForSelector('#member-phone-error');
  if ((await page.inputValue('#member-phone')) !== '12345'
    || (await page.inputValue('#member-name')) !== 'خالد عبدالله العنزي') {
    throw new Error('the head correction form lost what was typed');
  }
  if ((await page.textContent('.members')).includes('12345')) throw new Error('an invalid phone was stored');
  await shot('ar-03c-head-refused');
  await page.fill('#member-phone', '99887755');
  await step('member-add');
  await page.waitForFunction(() => document.querySelector('.members').innerText.includes('99887755'));
  if ((await page.inputValue('#member-phone')) !== '') throw new Error('the form stayed on the head');
  // The address corrected.
  await step('address-correct');
  await page.fill('#address-area', 'الجهراء - القصر');
  await step('address-save');
  await page.waitForFunction(() => document.querySelector('#address-text')?.innerText.includes('القصر'));
  await shot('ar-03d-household');

  // 3. Interview and request.
  await step('step-interview');
  await page.selectOption('#request-kind', 'utility-bills');
  await page.fill('#request-amount', '45');
  await page.fill('#request-reason', 'تراكمت فواتير الكهرباء بعد انقطاع دخل رب الأسرة');
  await page.fill('#household-notes', 'شقة إيجار، غرفتان');
  await step('interview-save');
  await page.waitForSelector('.ok');
  await page.selectOption('#income-kind', 'social-assistance');
  // Text that is not an amount is said beside the field, never silently ignored.
  await page.fill('#income-amount', 'abc');
  await page.waitForSelector('#income-amount-error');
  await page.fill('#income-amount', '250');
  await step('income-add');
  await page.waitForFunction(() => document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('250.000 د.ك'));
  // A line corrected in place: no amount is refused beside the field, what was typed stays.
  await step('income-0-edit');
  // The form is filled with the line first (over liveview, a round trip), then corrected.
  await page.waitForFunction(() => document.querySelector('#income-amount').value === '250.000');
  await page.fill('#income-amount', '0');
  await step('income-add');
  await page.waitForSelector('#income-amount-error');
  if ((await page.inputValue('#income-amount')) !== '0') throw new Error('the line form lost what was typed');
  await page.fill('#income-amount', '275');
  await step('income-add');
  await page.waitForFunction(() => document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('275.000 د.ك') && !document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('250.000 د.ك'));
  // A line typed by mistake is removed, income and expense alike.
  await page.selectOption('#income-kind', 'pension');
  await page.fill('#income-amount', '333');
  await step('income-add');
  await page.waitForFunction(() => document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('333.000 د.ك'));
  await step('income-1-remove');
  await page.waitForFunction(() => !document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('333.000 د.ك'));
  if (!(await page.evaluate(() => document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('275.000 د.ك')))) {
    throw new Error('removing a line took another');
  }
  await page.fill('#expense-amount', '999');
  await step('expense-add');
  await page.waitForFunction(() => document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('999.000 د.ك'));
  await step('expense-0-remove');
  await page.waitForFunction(() => !document.body.innerText.replace(/[\u2066-\u2069]/g, '').includes('999.000 د.ك'));
  await shot('ar-04-interview');

  // 4. Documents: photographs from real phones (EXIF orientation), through the pipeline.
  await step('step-documents');
  await page.waitForSelector('input[id^="capture-civil-id"]');
  await page.setInputFiles('input[id^="capture-civil-id"]', join(PHOTOS, 'Portrait_6.jpg'));
  await page.waitForSelector('.doc.present img.thumb');
  await page.setInputFiles('input[id^="capture-utility-bill"]', join(PHOTOS, 'jolla.jpg'));
  await page.waitForFunction(() => document.querySelectorAll('.doc.present img.thumb').length === 2, null, { timeout: 60000 });
  await page.setInputFiles('input[id^="capture-income-proof"]', join(PHOTOS, 'DSCN0010.jpg'));
  await page.waitForFunction(() => document.querySelectorAll('.doc.present img.thumb').length === 3, null, { timeout: 60000 });
  // Portrait_6 is stored sideways with EXIF orientation 6: it must be shown upright.
  const civil = await page.$eval('.doc.present img.thumb', (img) => [img.naturalWidth, img.naturalHeight]);
  if (!(civil[1] > civil[0])) throw new Error(`the civil ID photo is not upright: ${civil}`);
  await shot('ar-05-documents');

  // 6. Declaration and a signature drawn on the screen.
  await step('step-declaration');
  await drawSignature(page);
  await shot('ar-06-signature');
  await step('signature-save');
  await page.waitForSelector('#signature-saved');

  // 7. Submit, and the receipt for the family.
  await step('step-submit');
  await step('submit');
  await page.waitForSelector('#receipt');
  const shown = (await page.textContent('#receipt-reference')).trim();
  if (shown !== reference) throw new Error(`receipt shows ${shown}, case is ${reference}`);
  const due = (await page.textContent('#receipt-due')).trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(due)) throw new Error(`no decision date on the receipt: ${due}`);
  await shot('ar-07-receipt');
  // Still offline: the work waits on the device.
  await page.waitForSelector('#sync-badge.sync-offline');
  await phase(`SUBMITTED ${reference}`, 'ONLINE');

  // Back online: sync.
  await step('nav-sync');
  await step('sync-now');
  await page.waitForSelector('#sync-state.sync-up-to-date', { timeout: 60000 });
  await page.waitForFunction(() => /\D0$/.test(document.querySelector('#pending-photos').textContent.replace(/[\u2066-\u2069]/g, '').trim()));
  await shot('ar-08-sync');
  await phase(`SYNCED ${reference}`, 'DECIDED');

  // The committee's decision reaches the app on the next sync.
  await step('sync-now');
  await page.waitForSelector('#sync-state.sync-up-to-date', { timeout: 60000 });
  await step('nav-cases');
  await page.click(`.case-row[data-reference="${reference}"]`);
  await step('tab-visit');
  await step('tab-timeline');
  await page.waitForSelector('#decision');
  await shot('ar-09-timeline');

  // The other screens, and everything again in English.
  await step('tab-services');
  await step('survey-start');
  await page.waitForSelector('#survey-submit');
  await shot('ar-10-survey');
  // Sent with no answer at all: refused in words, nothing counted.
  await step('survey-submit');
  await page.waitForSelector('#survey-error');
  if (await page.$('#survey-thanks')) throw new Error('an empty survey was accepted');
  await shot('ar-10a-survey-empty');
  // The family answers: a face for each question, then send.
  for (const q of ['survey-reception', 'survey-time-and-answers', 'survey-clarity', 'survey-speed', 'survey-overall']) {
    await page.click(`#${q}-5`);
    await page.waitForSelector(`#${q}-5[aria-pressed="true"]`);
  }
  await page.fill('#survey-comment', 'شكرًا على الزيارة');
  await step('survey-submit');
  await page.waitForSelector('#survey-thanks');
  await page.click('#survey-thanks button');
  await page.waitForFunction(() => /1\W*$/.test((document.querySelector('#survey-count')?.textContent ?? '').replace(/[\u2066-\u2069]/g, '').trim()));
  await step('nav-library');
  await shot('ar-11-library');
  await step('lang');
  await page.waitForSelector('html');
  await shot('en-11-library');
  await step('nav-cases');
  await page.waitForSelector('.case-row');
  await shot('en-02-cases');
  await page.click(`.case-row[data-reference="${reference}"]`);
  await step('tab-timeline');
  await page.waitForSelector('#decision');
  await shot('en-09-timeline');
  await step('tab-visit');
  await step('step-documents');
  await shot('en-05-documents');
  // Household data stays correctable after submission: the head's phone, refused when wrong.
  await step('step-registration');
  await page.waitForSelector('#household-correctable');
  await shot('en-03d-household');
  await step('member-0-edit');
  await page.fill('#member-phone', '12');
  await step('member-add');
  await page.waitForSelector('#member-phone-error');
  await shot('en-03c-head-refused');
  await step('member-cancel');
  await page.waitForFunction(() => document.querySelector('#member-phone').value === '');
  await page.fill('#member-name', 'Noura');
  await page.fill('#member-civil-id', '12345');
  await step('member-add');
  await page.waitForSelector('#member-civil-id-error');
  await shot('en-03b-member-refused');
  await page.fill('#member-name', '');
  await page.fill('#member-civil-id', '');
  await step('step-welcome');
  await page.waitForSelector('#visit-started');
  await shot('en-04a-visit');
  await step('tab-services');
  await step('survey-start');
  await page.waitForSelector('#survey-submit');
  await shot('en-10-survey');
  await step('survey-submit');
  await page.waitForSelector('#survey-error');
  await shot('en-10a-survey-empty');
  await step('nav-sync');
  await shot('en-08-sync');
  await step('nav-register');
  await shot('en-03-register');
  await page.fill('#name-ar', 'أسرة أخرى');
  await page.fill('#civil-id', env('CIVIL_ID'));
  await page.waitForSelector('#duplicate-warning .civil-id-held');
  await shot('en-03-duplicate-warning');
  await step('lang');
  await step('nav-cases');
  await page.waitForSelector('.case-row');
  await shot('ar-02-cases');
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log('DONE');
} catch (e) {
  await shot('failure').catch(() => {});
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
  done();
}
