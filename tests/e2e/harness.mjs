// What every browser script shares: environment, Debian's chromium, and phases — lines on
// stdout that the Rust test answers on stdin (`mandoob_tests::BrowserScript`).

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

/** The environment variable `k`, which the test must set. */
export const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

/** Fails the script with `what` unless `ok`. */
export const check = (ok, what) => { if (!ok) throw new Error(`check failed: ${what}`); };

/** Flags for headless Debian chromium without network chatter. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
};

/** Launches headless chromium. */
export const launch = () => chromium.launch(CHROMIUM);

const lines = createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', (l) => { const w = waiting.shift(); if (w) w(l.trim()); });

/** Says `say` to the test and waits for it to answer `expect`. */
export const phase = (say, expect) => new Promise((resolve, reject) => {
  waiting.push((l) => (l === expect ? resolve() : reject(new Error(`expected ${expect}, got ${l}`))));
  console.log(say);
});

/** Stops listening to the test, so node can exit when the script is done. */
export const done = () => lines.close();

/** Draws a signature on the app's signature pad with the mouse, and waits until it shows. */
export const drawSignature = async (page) => {
  await page.locator('#signature-pad').scrollIntoViewIfNeeded();
  const pad = await page.locator('#signature-pad').boundingBox();
  await page.mouse.move(pad.x + 20, pad.y + 110);
  await page.mouse.down();
  for (let i = 0; i <= 24; i++) {
    await page.mouse.move(pad.x + 20 + i * 10, pad.y + 110 - Math.abs(Math.sin(i / 2)) * 70, { steps: 2 });
  }
  await page.mouse.up();
  await page.waitForFunction(() => (document.querySelector('#signature-pad path')?.getAttribute('d') || '').length > 40);
};

/** Keeps in `seen` every refusal by the server's Content-Security-Policy in `context` (issue
 *  18): the browser reports each on the console of the page or worker it stopped. */
export const watchCsp = (context, seen) => {
  context.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) seen.push(m.text());
  });
  return seen;
};
