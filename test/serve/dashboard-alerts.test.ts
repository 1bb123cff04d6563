/**
 * The dashboard in headless Chromium: a dead target is the loudest cell (not a calm grey one), a
 * pair without recent rounds is drawn stale, the legend names every state, and the active alerts
 * of the built-in rules are on the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import type { LatencyProber } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { freePort, rounds, tempDir, testConfig } from './helpers.js';
import { until } from './alert-peers.js';

/** 127.0.0.9 never answers; everything else does at 5 ms. */
const prober: LatencyProber = {
  name: 'table',
  async probe(targets, o) {
    return targets.map((t) =>
      t.host === '127.0.0.9'
        ? { target: t.name, host: t.host, sent: o.count, received: 0, rtts: [] }
        : {
            target: t.name,
            host: t.host,
            sent: o.count,
            received: o.count,
            rtts: Array(o.count).fill(0.005),
          },
    );
  },
};

test('the overview draws a dead target loudest and a silent pair stale, with a legend and the active alerts', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-web-alerts-');
  const now = Math.floor(Date.now() / 1000);
  const cfg = testConfig(t.dir, await freePort(), {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '2s', count: 4 },
    targets: [
      { name: 'dead', host: '127.0.0.9' },
      { name: 'calm', host: '127.0.0.2' },
      { name: 'gone', host: '127.0.0.3' },
    ],
    alerts: { rules: { targetDown: { for: '0s' } } },
  });
  const store = await openStore(cfg.store);
  // gone: answered well, but nothing for the last two hours (the agent's own rounds come from a prober that skips it)
  await store.writePings(rounds('ldn', 'gone', now - 4 * 3600, 300, 20, 10));
  await store.rollup();
  const quiet: LatencyProber = {
    name: 'quiet',
    probe: async (targets, o) =>
      prober.probe(
        targets.filter((x) => x.name !== 'gone'),
        o,
      ),
  };
  const running = await serve(cfg, {
    store,
    probes: { latency: quiet },
    firstRunSpread: 0.1,
    log: () => {},
  });
  let browser: BrowserContext | null = null;
  try {
    await until(
      () => running.agent.alerting.engine.firing().some((a) => a.labels.target === 'dead'),
      'HostopsTargetDown for dead',
      20_000,
    );
    await until(
      async () => (await running.agent.store.pingCount('ldn')) >= 302,
      'rounds of dead and calm',
      20_000,
    );
    await running.agent.store.rollup('ldn');
    browser = await launchChromium(path.join(t.dir, 'profile'), { width: 1200, height: 1400 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(running.url + '/');
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    const cell = (target: string) =>
      page.locator(`td.cell[data-site="ldn"][data-target="${target}"]`);
    assert.equal(await cell('dead').getAttribute('data-state'), 'down');
    assert.equal(await cell('dead').locator('.rtt').textContent(), 'DOWN');
    assert.equal(await cell('calm').getAttribute('data-state'), 'nosla');
    assert.equal(await cell('gone').getAttribute('data-state'), 'stale');
    assert.match((await cell('gone').textContent()) ?? '', /no data since \d+ h ago/);
    // loudest: the dead cell's background is the alarm red, the no-SLA one stays pale
    const bg = (target: string) =>
      cell(target).evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(await bg('dead'), 'rgb(214, 51, 58)');
    assert.notEqual(await bg('calm'), await bg('dead'));
    assert.deepEqual(await page.locator('#matrix-legend .cell-key').allTextContents(), [
      'down: every ping lost',
      'outside its SLA',
      'stale: no recent rounds',
      'within its SLA',
      'no SLA set',
    ]);
    const alert = page.locator('#alerts-active [data-alert="HostopsTargetDown"]');
    assert.equal(await alert.count(), 1);
    assert.equal(await alert.textContent(), 'HostopsTargetDown target=dead');
    assert.equal(await page.locator('nav a[href="#alerts"]').textContent(), 'Alerts (1)');
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});
