/** The dashboard's grouped overview: site x group, a paged drill-down, search and the worst pairs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { fakeMailq, freePort, rounds, silentProber, tempDir, testConfig } from './helpers.js';

const SHOTS = path.resolve('test/.tmp');

const launch = (userDir: string) => launchChromium(userDir, { width: 1400, height: 1600 });
const texts = (page: Page, sel: string) => page.locator(sel).allInnerTexts();

test('the grouped overview: site x group cells, drill-down pages, search and the worst pairs', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-webgroups-');
  const port = await freePort();
  const now = Math.floor(Date.now() / 1000);
  const sla = { rtt: '< 50 ms', loss: '< 1%' };
  const web = [1, 2, 3, 4, 5, 6, 7].map((i) => ({
    name: `web0${i}`,
    host: `127.0.0.1${i}`,
    group: 'web',
    sla,
  }));
  const db = [1, 2, 3].map((i) => ({ name: `db${i}`, host: `127.0.0.2${i}`, group: 'db', sla }));
  const cfg = testConfig(t.dir, port, {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '1h', count: 3 },
    targets: [...web, ...db, { name: 'misc', host: '127.0.0.30' }],
  });
  // an hour of history from two sites: web03 loses 20% from ldn, db2 is slower (~32 ms)
  const store = await openStore(cfg.store);
  for (const site of ['ldn', 'ams']) {
    for (const x of web)
      await store.writePings(
        rounds(site, x.name, now - 3600, 180, 20, 10, site === 'ldn' && x.name === 'web03'),
      );
    for (const x of db)
      await store.writePings(rounds(site, x.name, now - 3600, 180, 20, x.name === 'db2' ? 30 : 5));
  }
  await store.writePings(rounds('ldn', 'misc', now - 3600, 180, 20, 1));
  await store.rollup();
  // no live pings: a real round of web03 landing alone in a new 5-minute window would be a
  // clean window and move ldn/web's "SLA min" off 0% (seen in CI when a boundary fell between)
  const running = await serve(cfg, {
    store,
    probes: { mailq: fakeMailq(), latency: silentProber },
    firstRunSpread: 0.1,
  });
  let browser: BrowserContext | null = null;
  try {
    browser = await launch(path.join(t.dir, 'chromium-profile'));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    // 11 targets: below the automatic threshold, so the page is asked for the grouped view
    await page.goto(`http://127.0.0.1:${port}/?view=groups&per=3`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });

    // site x group: groups sorted, targets without a group last
    assert.deepEqual(await texts(page, '#matrix thead th'), [
      'site \\ group',
      'db',
      'web',
      '(none)',
    ]);
    assert.deepEqual(await texts(page, '#matrix tbody td.rowhead'), ['ams', 'ldn']);
    const cell = (site: string, group: string) =>
      page.locator(`#matrix td.cell[data-site="${site}"][data-group="${group}"]`);
    assert.equal(
      await cell('ldn', 'web').innerText(),
      '12.3 ms\nworst loss 20.0%\n7 targets · 6 ok · 1 bad\nSLA min 0.0%',
    );
    assert.equal(await cell('ldn', 'web').getAttribute('data-state'), 'bad');
    assert.equal(
      await cell('ams', 'web').innerText(),
      '12.3 ms\nworst loss 0.0%\n7 targets · 7 ok · 0 bad\nSLA min 100.0%',
    );
    assert.equal(await cell('ams', 'web').getAttribute('data-state'), 'ok');
    assert.equal(
      await cell('ldn', 'db').innerText(),
      '7.25 ms\nworst loss 0.0%\n3 targets · 3 ok · 0 bad\nSLA min 100.0%',
    );
    assert.equal(await cell('ldn', '(none)').getAttribute('data-state'), 'nosla');
    assert.equal(
      await cell('ldn', '(none)').innerText(),
      '3.25 ms\nworst loss 0.0%\n1 target · 0 ok · 0 bad',
    );
    // ams never measured misc: an empty cell, not a made-up one
    assert.equal(
      await page.locator('#matrix tbody tr').nth(0).locator('td').nth(3).innerText(),
      'no targets',
    );
    assert.equal(await page.locator('#drill').innerText(), '');

    // drill into web: three targets a page, all sites of each
    await cell('ldn', 'web').click();
    await page.waitForSelector('#drill-range');
    assert.equal(await page.locator('#drill-title').innerText(), 'Group web targets 1–3 of 7');
    assert.deepEqual(await texts(page, '#drill-cells thead th'), [
      'site \\ target',
      'web01',
      'web02',
      'web03',
    ]);
    const pair = (site: string, target: string) =>
      page.locator(`#drill-cells td.cell[data-site="${site}"][data-target="${target}"]`);
    assert.equal(
      await pair('ldn', 'web03').innerText(),
      '12.5 ms\nloss 20.0%\nSLA < 50 ms, < 1%: 0.0%',
    );
    assert.equal(await pair('ldn', 'web03').getAttribute('data-state'), 'bad');
    assert.equal(
      await pair('ams', 'web03').innerText(),
      '12.3 ms\nloss 0.0%\nSLA < 50 ms, < 1%: 100.0%',
    );
    assert.equal(await page.locator('#drill-prev').isDisabled(), true);
    await page.click('#drill-next');
    await page.waitForFunction(
      () => document.getElementById('drill-range')?.textContent === 'targets 4–6 of 7',
    );
    assert.deepEqual(await texts(page, '#drill-cells thead th'), [
      'site \\ target',
      'web04',
      'web05',
      'web06',
    ]);
    assert.equal(await page.locator('#drill-cells td.cell').count(), 6);
    await page.click('#drill-next');
    await page.waitForFunction(
      () => document.getElementById('drill-range')?.textContent === 'targets 7–7 of 7',
    );
    assert.deepEqual(await texts(page, '#drill-cells thead th'), ['site \\ target', 'web07']);
    assert.equal(await page.locator('#drill-next').isDisabled(), true);
    await page.click('#drill-prev');
    await page.waitForFunction(
      () => document.getElementById('drill-range')?.textContent === 'targets 4–6 of 7',
    );

    // search by address: 127.0.0.2 is the start of the db addresses (127.0.0.21-23) only
    await page.fill('#search-q', '127.0.0.2');
    await page.click('#search-form button');
    await page.waitForFunction(() =>
      /matching/.test(document.getElementById('drill-title')?.textContent ?? ''),
    );
    assert.deepEqual(await texts(page, '#search-hits tbody tr'), [
      'db1\t127.0.0.21\tdb\taddress\t2\t0',
      'db2\t127.0.0.22\tdb\taddress\t2\t0',
      'db3\t127.0.0.23\tdb\taddress\t2\t0',
    ]);
    assert.equal(
      await page.locator('#drill-title').innerText(),
      'Targets matching “127.0.0.2” targets 1–3 of 3',
    );
    assert.equal(
      await pair('ldn', 'db2').innerText(),
      '32.3 ms\nloss 0.0%\nSLA < 50 ms, < 1%: 100.0%',
    );
    assert.equal(await page.locator('#drill-next').isDisabled(), true);
    await page.fill('#search-q', 'nothing-like-this');
    await page.click('#search-form button');
    await page.waitForFunction(() =>
      /No target name/.test(document.getElementById('search-hits')?.textContent ?? ''),
    );
    await page.waitForFunction(
      () => document.getElementById('drill-cells')?.textContent === 'No targets match.',
    );
    assert.equal(await page.locator('#drill-range').innerText(), 'no targets');

    // the worst pairs: only web03 from ldn lost pings or broke its SLA
    assert.deepEqual(await texts(page, '#worst-loss tbody tr'), [
      'ldn → web03\t20.0%\t12.5 ms\t0.0%',
    ]);
    assert.deepEqual(await texts(page, '#worst-sla tbody tr'), [
      'ldn → web03\t20.0%\t12.5 ms\t0.0%',
    ]);
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-groups.png') });

    // the user can switch to the full matrix: every target a column, the grouped parts hidden
    await page.selectOption('#view-mode', 'matrix');
    await page.waitForSelector('#matrix td.cell[data-target="misc"]');
    assert.equal(await page.locator('#groups').isHidden(), true);
    assert.equal((await texts(page, '#matrix thead th')).length, 12);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});

test('above 200 targets the page starts grouped and never asks for the whole matrix', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup-test.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-webgroups-auto-');
  const port = await freePort();
  const closed = await freePort();
  const now = Math.floor(Date.now() / 1000);
  const cfg = testConfig(t.dir, port, {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '1h', count: 3 },
    targets: [{ name: 'core1', host: '127.0.0.2', group: 'core', sla: { loss: '< 1%' } }],
    probes: [{ name: 'web', prober: 'tcp', target: `127.0.0.1:${closed}`, interval: '1h' }],
  });
  // 205 more targets in the store's history (an agent's former config): 206 in the overview
  const store = await openStore(cfg.store);
  const names = Array.from({ length: 205 }, (_, i) => `h${String(i + 1).padStart(3, '0')}`);
  await store.writePings([
    ...rounds('ldn', 'core1', now - 600, 5, 20, 3),
    ...names.flatMap((n) => rounds('ldn', n, now - 600, 5, 20, 3)),
  ]);
  await store.rollup();
  // a probe's history: its row comes from /api/overview/probes in the grouped view
  await store.writeProbe({
    site: 'ldn',
    probe: 'web',
    prober: 'tcp',
    target: `127.0.0.1:${closed}`,
    ts: now - 60,
    success: false,
    failure: 'ECONNREFUSED',
    duration: 0.001,
    phases: { connect: null },
    status: null,
    rcode: null,
    certExpiry: null,
  });
  const running = await serve(cfg, { store, probes: { mailq: fakeMailq() }, firstRunSpread: 0.1 });
  let browser: BrowserContext | null = null;
  try {
    browser = await launch(path.join(t.dir, 'chromium-profile'));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const asked: string[] = [];
    page.on('request', (r) => asked.push(new URL(r.url()).pathname));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    assert.equal(await page.locator('#view-mode').inputValue(), 'auto');
    assert.equal(await page.locator('#groups').isVisible(), true);
    assert.deepEqual(await texts(page, '#matrix thead th'), ['site \\ group', 'core', '(none)']);
    assert.equal(
      await page.locator('#matrix td.cell[data-group="(none)"]').innerText(),
      '5.25 ms\nworst loss 0.0%\n205 targets · 0 ok · 0 bad',
    );
    // graphs: the site's first 24 targets, as with the full matrix
    assert.equal(await page.locator('#graphs .graph').count(), 24);
    assert.match(
      (await texts(page, '#probe-table tbody tr'))[0],
      new RegExp(`^ldn\tweb \\(tcp\\)\t127\\.0\\.0\\.1:${closed}\tfailed: ECONNREFUSED\t`),
    );
    assert.ok(asked.includes('/api/overview/groups'), asked.join(' '));
    assert.ok(!asked.includes('/api/overview'), `the whole matrix was fetched: ${asked.join(' ')}`);
    // nothing lost a ping: the worst lists say so instead of ranking healthy pairs
    assert.equal(await page.locator('#worst-loss').innerText(), 'No pair lost a ping.');
    assert.equal(await page.locator('#worst-sla').innerText(), 'Every pair met its SLA.');
    // the default page is 100 targets
    await page.locator('#matrix td.cell[data-group="(none)"]').click();
    await page.waitForSelector('#drill-range');
    assert.equal(await page.locator('#drill-range').innerText(), 'targets 1–100 of 205');
    assert.equal(await page.locator('#drill-cells td.cell').count(), 100);
    // a pair far beyond the first 24 graphs gets its graph when clicked
    assert.equal(await page.locator('#graph-h099').count(), 0);
    await page.locator('#drill-cells td.cell[data-target="h099"]').click();
    await page.waitForSelector('#graph-h099 canvas');
    assert.equal(await page.locator('#graphs .graph').count(), 24);
    assert.ok(!asked.includes('/api/overview'), `the whole matrix was fetched: ${asked.join(' ')}`);
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});
