// The device engine in a real browser's Web Worker with SQLite on OPFS (issue 7, first part).
// Run by tests/tests/web_worker.rs, which serves the web build from the real HQ server.
//
// Environment: APP_URL (the harness page), PROFILE (a browser profile folder), SET_SESSION,
// CREATE, LIST (engine commands as JSON, made by the Rust test from the engine's own types).

import { chromium } from 'playwright-core';
import { CHROMIUM, check, done, env } from './harness.mjs';

const APP = env('APP_URL');
const launch = () => chromium.launchPersistentContext(env('PROFILE'), CHROMIUM);
const start = (page) => page.evaluate(() => window.startEngine());
const call = (page, json) => page.evaluate((c) => window.engine.call(JSON.parse(c)), json);
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
  console.log(`DONE ${before[0]}`);
} catch (e) {
  console.error(e);
  console.log('FAILED');
  process.exitCode = 1;
} finally {
  done();
  await context.close();
}
