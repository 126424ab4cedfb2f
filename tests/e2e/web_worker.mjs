// The device engine in a real browser's Web Worker with SQLite on OPFS (issue 7, first part).
// Run by tests/tests/web_worker.rs, which serves the web build from the real HQ server.
//
// Environment: APP_URL (the harness page), PROFILE (a browser profile folder), SET_SESSION,
// CREATE, LIST (engine commands as JSON, made by the Rust test from the engine's own types).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, check, done, env } from './harness.mjs';

const APP = env('APP_URL');
const launch = () => chromium.launchPersistentContext(env('PROFILE'), CHROMIUM);
const start = (page) => page.evaluate(() => window.startEngine());
const call = (page, json) => page.evaluate((c) => window.engine.call(JSON.parse(c)), json);
/** Whether `needle` is in any file of the browser profile (where OPFS keeps its files). */
const inProfile = (needle) => {
  const bytes = Buffer.from(needle, 'utf8');
  const walk = (dir) => readdirSync(dir).some((name) => {
    const path = join(dir, name);
    let st;
    try { st = statSync(path); } catch { return false; }
    if (st.isDirectory()) return walk(path);
    try { return readFileSync(path).indexOf(bytes) >= 0; } catch { return false; }
  });
  return walk(env('PROFILE'));
};
const listed = async (page) => (await call(page, env('LIST'))).Cases.map((c) => c.reference);

let context = await launch();
try {
  const page = await context.newPage();
  page.on('console', (m) => console.error(`[page] ${m.text()}`));
  await page.goto(APP);
  let ready = await start(page);
  check(ready.ready, `the engine starts on OPFS: ${ready.error}`);
  await call(page, env('SET_SESSION'));
  const created = await call(page, env('CREATE'));
  check(typeof created.Created === 'string', `a case is created: ${JSON.stringify(created)}`);
  const before = await listed(page);
  check(before.length === 1, `one case listed: ${before}`);

  // A reload starts a new worker on the same database.
  await page.reload();
  ready = await start(page);
  check(ready.ready, `the engine starts again: ${ready.error}`);
  check(JSON.stringify(await listed(page)) === JSON.stringify(before), 'the case survives a reload');

  // A second tab gets a clear message instead of a second writer.
  const second = await context.newPage();
  await second.goto(APP);
  const other = await start(second);
  check(!other.ready && /another tab/.test(other.error), `the second tab is told: ${JSON.stringify(other)}`);
  console.log(`SECOND_TAB ${other.error}`);
  await second.close();

  // The browser closed and opened again with the same profile: still there.
  await context.close();
  context = await launch();
  const again = await context.newPage();
  await again.goto(APP);
  ready = await start(again);
  check(ready.ready, `the engine starts after a relaunch: ${ready.error}`);
  check(JSON.stringify(await listed(again)) === JSON.stringify(before), 'the case survives a relaunch');

  // A revoked device's wipe (after its hand-over): nothing of the case stays in the OPFS
  // files, and the engine opens again on the wiped database.
  await context.close();
  check(inProfile(env('NEEDLE')), 'the case is in the profile\'s files before the wipe');
  context = await launch();
  const wiping = await context.newPage();
  await wiping.goto(APP);
  ready = await start(wiping);
  check(ready.ready, `the engine starts before the wipe: ${ready.error}`);
  check(await call(wiping, '"Wipe"') === 'Done', 'the wipe is done');
  check((await listed(wiping)).length === 0, 'no case listed after the wipe');
  await context.close();
  check(!inProfile(env('NEEDLE')), 'the case is in no file of the profile after the wipe');
  context = await launch();
  const after = await context.newPage();
  await after.goto(APP);
  ready = await start(after);
  check(ready.ready, `the engine starts after the wipe: ${ready.error}`);
  check((await listed(after)).length === 0, 'still no case after a relaunch');
  console.log(`DONE ${before[0]}`);
} catch (e) {
  console.error(e);
  console.log('FAILED');
  process.exitCode = 1;
} finally {
  done();
  await context.close();
}
