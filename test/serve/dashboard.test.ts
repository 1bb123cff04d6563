import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { fakeMailq, freePort, rounds, tempDir, testConfig } from './helpers.js';

const SHOTS = path.resolve('test/.tmp');

test('the dashboard in headless Chromium shows the overview and SmokePing-style graphs with data', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-web-');
  const port = await freePort();
  const now = Math.floor(Date.now() / 1000);
  const cfg = testConfig(t.dir, port, {
    site: 'ldn',
    mailq: { enabled: true },
    // one live round per target: the agent also pings fra (loopback, no loss), and every further
    // live round would dilute fra's seeded 20% loss (3 rounds of 4 show 19.9% on a slow machine)
    ping: { interval: '1h', count: 4 },
    targets: [
      { name: 'nyc', host: '127.0.0.2', sla: { rtt: '< 70 ms' } },
      { name: 'fra', host: '127.0.0.3', sla: { rtt: '< 20 ms', loss: '< 1%' } },
    ],
  });
  // three hours of history: nyc steady at ~65 ms, fra at ~12 ms with 20% loss for the last hour
  const store = await openStore(cfg.store);
  await store.writePings(rounds('ldn', 'nyc', now - 3 * 3600, 540, 20, 62));
  await store.writePings(rounds('ldn', 'fra', now - 3 * 3600, 360, 20, 10));
  await store.writePings(rounds('ldn', 'fra', now - 3600, 180, 20, 10, true));
  await store.rollup();
  const running = await serve(cfg, { store, probes: { mailq: fakeMailq() }, firstRunSpread: 0.1 });
  // a fresh profile per run (playwright passes it to Chromium as --user-data-dir)
  const userDir = path.join(t.dir, 'chromium-profile');
  let browser: BrowserContext | null = null;
  try {
    browser = await launchChromium(userDir, { width: 1400, height: 1800 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // wait for the agent's own first round (localhost, live) so the page shows it too
    for (let i = 0; i < 40; i++) {
      const ov = (await (await fetch(`http://127.0.0.1:${port}/api/overview`)).json()) as {
        targets: string[];
      };
      if (ov.targets.includes('localhost')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    // overview matrix: one row (ldn), cells for nyc and fra with SLA state
    const nyc = page.locator('td.cell[data-site="ldn"][data-target="nyc"]');
    assert.match(await nyc.innerText(), /6\d\.\d ms/);
    assert.match((await nyc.getAttribute('class')) ?? '', /\bok\b/);
    const fra = page.locator('td.cell[data-site="ldn"][data-target="fra"]');
    assert.match(await fra.innerText(), /loss 20\.0%/);
    assert.match((await fra.getAttribute('class')) ?? '', /\bbad\b/);
    // graphs: a uPlot canvas per target, with drawn pixels in the smoke colours and the loss colours
    await page.waitForSelector('#graph-fra canvas');
    const stats = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('#graphs canvas')].map((c) => {
        const ctx = c.getContext('2d')!;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let grey = 0,
          green = 0,
          lossy = 0;
        for (let i = 0; i < d.length; i += 4) {
          const [r, g, b, a] = [d[i], d[i + 1], d[i + 2], d[i + 3]];
          if (!a) continue;
          if (r === g && g === b && r < 235) grey++;
          if (r < 80 && g > 200 && b < 80) green++; // #26ff00: no loss
          if (r > 200 && g < 40 && b > 200) lossy++; // #ff00ff: <=25% loss
        }
        return { id: c.closest('.graph')?.id, w: c.width, h: c.height, grey, green, lossy };
      }),
    );
    // nyc and fra from the seeded history, localhost from the agent's own live probing
    assert.deepEqual(
      stats.map((s) => s.id).sort(),
      ['graph-fra', 'graph-localhost', 'graph-nyc'],
      JSON.stringify(stats),
    );
    for (const s of stats.filter((x) => x.id !== 'graph-localhost')) {
      assert.ok(s.w > 300 && s.h > 150);
      assert.ok(s.grey > 500, `smoke drawn in ${s.id}: ${JSON.stringify(s)}`);
      assert.ok(s.green > 50, `median line drawn in ${s.id}: ${JSON.stringify(s)}`);
    }
    assert.ok(
      stats.find((s) => s.id === 'graph-fra')!.lossy > 20,
      'the lossy hour is drawn in the loss colour',
    );
    // mail queue panel: hostile sender text is shown as text, not markup
    assert.match(
      await page.locator('#mailq-senders').innerText(),
      /<script>alert\(1\)<\/script>@spam\.example/,
    );
    assert.equal(await page.locator('#mailq-senders script').count(), 0);
    assert.match(
      await page.locator('#mailq-sources').innerText(),
      /wp-content\/x\.php\s+script\s+117/,
    );
    // no token configured: removing is off, and the button says how to turn it on
    const remove = page.locator('#mailq-frozen button.remove');
    assert.equal(await remove.isDisabled(), true);
    assert.match(
      (await remove.getAttribute('title')) ?? '',
      /^Actions are off on this agent: set listen\.token in hostops\.yaml \(or HOSTOPS_TOKEN\)/,
    );
    // the range selector switches to the 30-day view (hourly rollups)
    await page.selectOption('#range', '2592000');
    await page.waitForFunction(() =>
      /1h ·/.test(document.querySelector('#graph-nyc h3')?.textContent ?? ''),
    );
    await page.selectOption('#range', '10800');
    await page.waitForFunction(() =>
      /raw ·/.test(document.querySelector('#graph-nyc h3')?.textContent ?? ''),
    );
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});
