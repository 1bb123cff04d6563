/** The dashboard with transit feeds: one matrix column per target+feed ("nyc via via-a"), each with its own loss. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { fakeMailq, freePort, rounds, tempDir, testConfig } from './helpers.js';

test('the overview matrix shows each feed of a target as its own column with its own loss', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-webfeeds-');
  const port = await freePort();
  const now = Math.floor(Date.now() / 1000);
  const cfg = testConfig(t.dir, port, {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '1h', count: 3 },
    path: { enabled: false },
    // fwmarks without ip rules: the probes take the main table (loopback) here; the history below is what is shown
    feeds: [
      { name: 'via-a', fwmark: 10 },
      { name: 'via-b', fwmark: 20 },
    ],
    targets: [{ name: 'nyc', host: '127.0.0.2', feeds: ['via-a', 'via-b'], sla: { loss: '< 1%' } }],
  });
  const store = await openStore(cfg.store);
  await store.writePings(
    rounds('ldn', 'nyc@via-a', now - 3600, 180, 20, 65, true).map((r) => ({ ...r, feed: 'via-a' })),
  );
  await store.writePings(
    rounds('ldn', 'nyc@via-b', now - 3600, 180, 20, 40).map((r) => ({ ...r, feed: 'via-b' })),
  );
  await store.rollup();
  const running = await serve(cfg, { store, probes: { mailq: fakeMailq() }, firstRunSpread: 0.1 });
  let browser: BrowserContext | null = null;
  try {
    browser = await launchChromium(path.join(t.dir, 'chromium-profile'));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await page.waitForSelector('td.cell[data-target="nyc@via-b"]');
    const heads = await page.locator('#matrix thead th').allInnerTexts();
    assert.deepEqual(heads, ['site \\ target', 'nyc via via-a', 'nyc via via-b']);
    const a = page.locator('td.cell[data-site="ldn"][data-target="nyc@via-a"]');
    const b = page.locator('td.cell[data-site="ldn"][data-target="nyc@via-b"]');
    assert.match(await a.innerText(), /loss 20\.0%/);
    assert.match((await a.getAttribute('class')) ?? '', /\bbad\b/);
    assert.match(await b.innerText(), /loss 0\.0%/);
    assert.match((await b.getAttribute('class')) ?? '', /\bok\b/);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});
