/**
 * The dashboard's Service probes panel in headless Chromium (Debian's /usr/bin/chromium): the
 * table from /api/overview's probes list and a phase-duration graph per probe, from rows stored
 * before the agent starts and the agent's own runs against a loopback server and a closed port.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { type BrowserContext } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { until } from './alert-peers.js';

test('the dashboard shows the probes table and a phase graph per probe, failed runs marked', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-webprobe-');
  const web = http.createServer((_req, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/`;
  const closed = await freePort();
  const cfg = testConfig(t.dir, 0, {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '1h' },
    probes: [
      { name: 'web', prober: 'http', target: url, interval: '1s', sla: { success: '90%' } },
      {
        name: 'gone',
        prober: 'tcp',
        target: `127.0.0.1:${closed}`,
        interval: '1s',
        sla: { success: '90%' },
      },
    ],
  });
  // an hour of history for web: connect 1 ms, processing 5 ms, one failed run in ten
  const store = await openStore(cfg.store);
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 60; i++) {
    const ok = i % 10 !== 0;
    await store.writeProbe({
      site: 'ldn',
      probe: 'web',
      prober: 'http',
      target: url,
      ts: now - 3600 + i * 60,
      success: ok,
      failure: ok ? null : 'ECONNRESET',
      duration: ok ? 0.007 : 0.001,
      phases: {
        resolve: null,
        connect: 0.001,
        tls: null,
        processing: ok ? 0.005 : null,
        transfer: ok ? 0.001 : null,
      },
      status: ok ? 200 : null,
      rcode: null,
      certExpiry: null,
    });
  }
  const running = await serve(cfg, { store, firstRunSpread: 0.05, log: () => {} });
  let browser: BrowserContext | null = null;
  try {
    await until(
      async () => (await store.probeHistory('ldn', 'gone', 0, Date.now() / 1000 + 5)).length >= 1,
      'a run of gone',
      15_000,
    );
    browser = await launchChromium(path.join(t.dir, 'chromium-profile'), {
      width: 1400,
      height: 1800,
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${running.url}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    const rows = await page.locator('#probe-table tbody tr').allInnerTexts();
    assert.equal(rows.length, 2, rows.join('\n'));
    assert.match(
      rows[0],
      new RegExp(
        `^ldn\\tweb \\(http\\)\\t${url.replace(/[.\\/]/g, '\\$&')}\\tok\\t\\d+\\.\\d%\\t\\d+\\.\\d+ ms\\t200\\t–\\tmet$`,
      ),
    );
    assert.match(
      rows[1],
      new RegExp(
        `^ldn\\tgone \\(tcp\\)\\t127\\.0\\.0\\.1:${closed}\\tfailed: ECONNREFUSED\\t0\\.0%\\t–\\t–\\t–\\tbroken$`,
      ),
    );
    // one graph per probe; web's has its phase lines drawn and the failed runs in red
    await page.waitForSelector('#probe-graph-ldn-web canvas');
    await page.waitForSelector('#probe-graph-ldn-gone canvas');
    const legend = await page.locator('#probe-graph-ldn-web .u-legend').innerText();
    for (const p of ['resolve', 'connect', 'tls', 'processing', 'transfer', 'failed'])
      assert.ok(legend.includes(p), legend);
    const drawn = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#probe-graph-ldn-web canvas')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let red = 0,
        blue = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 200) continue;
        if (d[i] > 200 && d[i + 1] < 80 && d[i + 2] < 90) red++; // #d6333a: failed runs
        if (d[i] < 70 && d[i + 1] > 90 && d[i + 1] < 130 && d[i + 2] > 150) blue++; // #2b6cb0: connect
      }
      return { red, blue };
    });
    assert.ok(drawn.red > 20 && drawn.blue > 20, JSON.stringify(drawn));
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    web.close();
    t.cleanup();
  }
});
