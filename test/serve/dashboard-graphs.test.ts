/**
 * The dashboard's graphs, paths and mail actions in headless Chromium against a real agent: a drag
 * zooms (the plotted x range changes and survives the next refresh, which updates the plot instead
 * of rebuilding it), the cursor shows the round's numbers, the SLA line is drawn, fresh data fills
 * the plot, the page fits a 390 px phone, the path advice "looks healthy" is green with 0.04 ms kept,
 * and the remove button says it needs the token instead of failing with an alert().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM, launchChromium } from './chromium.js';
import { serve } from '../../src/serve/index.js';
import { openStore } from '../../src/store/index.js';
import { advise } from '../../src/net/advice.js';
import type { MtrReport } from '../../src/net/mtr.js';
import { fakeMailq, freePort, rounds, tableProber, tempDir, testConfig } from './helpers.js';

const SHOTS = path.resolve('test/.tmp');
const TOKEN = 'graphs-test-token-0123456789';

/** uPlot's plotted x range of a card, as the page publishes it on the card. */
async function xRange(
  page: Page,
  id: string,
): Promise<{ min: number; max: number; zoomed: string }> {
  return page.locator('#' + id).evaluate((el: HTMLElement) => ({
    min: Number(el.dataset.xMin),
    max: Number(el.dataset.xMax),
    zoomed: el.dataset.zoomed ?? '',
  }));
}

/** Pixels of the SLA line's red (#d6333a) in a card's canvas. */
async function slaPixels(page: Page, id: string): Promise<number> {
  return page.locator(`#${id} canvas`).evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (
        Math.abs(d[i] - 214) < 12 &&
        Math.abs(d[i + 1] - 51) < 12 &&
        Math.abs(d[i + 2] - 58) < 12 &&
        d[i + 3] > 200
      )
        n++;
    return n;
  });
}

test('graphs zoom, read out, draw the SLA, fit the data, update in place and fit 390 px; paths and mail actions', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run scripts/setup.sh (Debian package chromium)`,
  );
  const t = tempDir('hostops-web-graphs-');
  const now = Math.floor(Date.now() / 1000);
  const cfg = testConfig(t.dir, await freePort(), {
    site: 'ldn',
    defaults: { self: false, gateway: false },
    ping: { interval: '2s', count: 4 },
    mailq: { enabled: true },
    targets: [
      { name: 'nyc', host: '127.0.0.2', sla: { rtt: '< 70 ms' } },
      { name: 'fresh', host: '127.0.0.3' },
    ],
  });
  cfg.listen.token = TOKEN;
  const store = await openStore(cfg.store);
  // nyc: three hours at ~62 ms under a 70 ms SLA; fresh: only the last ten minutes
  await store.writePings(rounds('ldn', 'nyc', now - 3 * 3600, 540, 20, 62));
  await store.writePings(rounds('ldn', 'fresh', now - 600, 30, 20, 5));
  await store.rollup();
  // an hour of mail queue samples, for the mail queue graph
  for (let i = 0; i < 12; i++)
    await store.writeMailq({
      site: 'ldn',
      ts: now - 3600 + i * 300,
      messages: 3 + i,
      frozen: 1,
      bytes: 4096,
      oldestAge: 600,
      summary: {},
    });
  // a loopback path: 0.04 ms to the destination, no loss
  const hop = {
    ttl: 1,
    hosts: ['127.0.0.2'],
    loss: 0,
    loss1000: 0,
    sent: 10,
    received: 10,
    drop: 0,
    last: 0.00004,
    avg: 0.00004,
    best: 0.00004,
    worst: 0.00004,
    stdev: 0,
    gmean: 0.00004,
    jitter: 0,
    javg: 0,
    jmax: 0,
    jint: 0,
    marks: [],
    history: [],
  };
  const rep: MtrReport = {
    target: 'nyc',
    address: '127.0.0.2',
    protocol: 'icmp',
    packetSize: 64,
    tos: 0,
    cycles: 10,
    start: now,
    reached: true,
    hops: [hop],
    advice: [],
  };
  await store.writePath({
    site: 'ldn',
    target: 'nyc',
    ts: now - 60,
    hops: [
      {
        ttl: 1,
        hosts: ['127.0.0.2'],
        loss: 0,
        sent: 10,
        avg: 0.00004,
        best: 0.00004,
        worst: 0.00004,
      },
    ],
    advice: advise(rep),
  });
  const mailq = fakeMailq();
  // the agent's own rounds answer at the seeded levels, so updates do not change the picture
  const running = await serve(cfg, {
    store,
    probes: { mailq, latency: tableProber({ '127.0.0.2': [0.062], '127.0.0.3': [0.005] }) },
    firstRunSpread: 0.1,
    log: () => {},
  });
  let browser: BrowserContext | null = null;
  try {
    browser = await launchChromium(path.join(t.dir, 'profile'), { width: 1400, height: 1600 });
    const page = await browser.newPage();
    const errors: string[] = [];
    const dialogs: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'confirm' ? d.accept() : d.dismiss());
    });
    await page.goto(running.url + '/');
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await page.waitForSelector('#graph-nyc canvas');

    // fresh data fills its plot: the x range spans the ten minutes, not the three-hour window
    const fresh = await xRange(page, 'graph-fresh');
    assert.ok(
      fresh.max - fresh.min < 1800 && fresh.max - fresh.min > 300,
      `fresh x range ${JSON.stringify(fresh)}`,
    );
    mkdirSync(SHOTS, { recursive: true });
    await page.locator('#latency').screenshot({ path: path.join(SHOTS, 'dashboard-latency.png') });
    // the SLA line is drawn on nyc (70 ms, above the 62 ms data) and not on fresh (no SLA)
    assert.ok((await slaPixels(page, 'graph-nyc')) > 100, 'SLA line on nyc');
    assert.equal(await slaPixels(page, 'graph-fresh'), 0);
    assert.match(await page.locator('#graph-nyc h3').innerText(), /SLA < 70 ms/);

    // hover: the readout names the round's median, loss and percentiles
    const over = page.locator('#graph-nyc .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    const readout = page.locator('#graph-nyc .readout');
    await page.waitForFunction(() =>
      /median/.test(document.querySelector('#graph-nyc .readout')?.textContent ?? ''),
    );
    assert.match(
      await readout.innerText(),
      /median 6\d\.\d ms · loss 0\.0% · p25–p75 6\d\.\d ms–6\d\.\d ms · p10–p90 6\d\.\d ms–6\d\.\d ms · min–max 6\d\.\d ms–6\d\.\d ms$/,
    );

    // drag to zoom: the plotted x range narrows to the dragged part
    const before = await xRange(page, 'graph-nyc');
    assert.equal(before.zoomed, '0');
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5, { steps: 5 });
    await page.mouse.up();
    const zoomed = await xRange(page, 'graph-nyc');
    assert.equal(zoomed.zoomed, '1');
    assert.ok(
      zoomed.min > before.min && zoomed.max < before.max,
      `zoomed ${JSON.stringify(zoomed)} within ${JSON.stringify(before)}`,
    );
    const frac = (zoomed.max - zoomed.min) / (before.max - before.min);
    assert.ok(
      frac > 0.2 && frac < 0.4,
      `a drag over 30% of the width shows about 30% of the range (${frac})`,
    );

    // the minute's refresh updates the same plot (same canvas) and keeps the zoom
    for (const id of ['#graph-nyc', '#mailq-graph'])
      await page.locator(id + ' canvas').evaluate((c: HTMLElement) => {
        c.dataset.mark = 'kept';
      });
    await page.evaluate(() => (window as unknown as { refresh(): Promise<void> }).refresh());
    assert.equal(
      await page.locator('#graph-nyc canvas[data-mark="kept"]').count(),
      1,
      'the latency plot was rebuilt',
    );
    assert.equal(
      await page.locator('#mailq-graph canvas[data-mark="kept"]').count(),
      1,
      'the mail queue plot was rebuilt',
    );
    assert.deepEqual(await xRange(page, 'graph-nyc'), zoomed);
    // double click: back to the whole data
    await over.dblclick();
    const out = await xRange(page, 'graph-nyc');
    assert.equal(out.zoomed, '0');
    assert.ok(out.max - out.min > 2 * 3600, JSON.stringify(out));

    // paths: "looks healthy" in the ok colour, 0.04 ms not rounded to 0.0
    const advice = page.locator('#path-list .advice li');
    assert.match(
      await advice.first().innerText(),
      /average 0\.04 ms, worst 0\.04 ms\. The path looks healthy\./,
    );
    assert.equal(await advice.first().getAttribute('data-tone'), 'ok');
    assert.equal(
      await advice.first().evaluate((el) => getComputedStyle(el).color),
      'rgb(31, 157, 85)',
    );
    assert.match(await page.locator('#path-list table').innerText(), /0\.04 ms/);

    // mail: actions need the token and the page has none: the button is off and says so
    const remove = page.locator('#mailq-frozen button.remove');
    assert.equal(await remove.isDisabled(), true);
    assert.match(
      (await remove.getAttribute('title')) ?? '',
      /needs the agent token \(listen\.token in hostops\.yaml or HOSTOPS_TOKEN\)/,
    );
    // a wrong token: the button is on, the server's refusal is shown inline
    await page.locator('#mailq-token-note button').click();
    await page.fill('#token', 'not-the-token-0123456789');
    await page.click('#token-save');
    await page.waitForFunction(
      () =>
        !(document.querySelector('#mailq-frozen button.remove') as HTMLButtonElement | null)
          ?.disabled,
    );
    await page.locator('#mailq-frozen button.remove').click();
    await page.waitForFunction(() =>
      /not removed/.test(document.getElementById('mailq-action')?.textContent ?? ''),
    );
    assert.equal(await page.locator('#mailq-action').innerText(), 'not removed: token required');
    assert.deepEqual(mailq.removed, []);
    // the right token: removed, said inline
    await page.fill('#token', TOKEN);
    await page.click('#token-save');
    await page.waitForFunction(
      () =>
        document.body.dataset.ready === '1' &&
        !(document.querySelector('#mailq-frozen button.remove') as HTMLButtonElement | null)
          ?.disabled,
    );
    await page.locator('#mailq-frozen button.remove').click();
    await page.waitForFunction(() =>
      /^removed/.test(document.getElementById('mailq-action')?.textContent ?? ''),
    );
    assert.equal(await page.locator('#mailq-action').innerText(), 'removed 1abcDE-000123-AB');
    assert.deepEqual(mailq.removed, ['1abcDE-000123-AB']);
    assert.deepEqual(
      dialogs,
      [
        'confirm: Remove message 1abcDE-000123-AB from the queue?',
        'confirm: Remove message 1abcDE-000123-AB from the queue?',
      ],
      'no alert()',
    );
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-graphs.png'), fullPage: true });

    // a 390 px phone: nothing scrolls the page sideways and the plots fit
    const phone = await browser.newPage();
    phone.on('pageerror', (e) => errors.push(e.message));
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(running.url + '/');
    await phone.waitForSelector('body[data-ready="1"]', { timeout: 30_000 });
    await phone.waitForSelector('#graph-nyc canvas');
    const widths = await phone.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      view: document.documentElement.clientWidth,
      plot: document.querySelector('#graph-nyc .uplot')!.getBoundingClientRect().right,
    }));
    assert.ok(
      widths.page <= widths.view && widths.view <= 390,
      `no horizontal scroll at 390 px: ${JSON.stringify(widths)}`,
    );
    assert.ok(widths.plot <= widths.view, `the plot fits: ${JSON.stringify(widths)}`);
    await phone.screenshot({ path: path.join(SHOTS, 'dashboard-390.png'), fullPage: true });
    // the wide page turned narrow: its plots follow the new width
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForFunction(
      () => document.documentElement.scrollWidth <= document.documentElement.clientWidth,
    );
    for (const sel of ['#graph-nyc .uplot', '#mailq-graph .uplot']) {
      const right = await page.locator(sel).evaluate((el) => el.getBoundingClientRect().right);
      assert.ok(right <= 390, `${sel} fits after a resize: ${right}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await running.stop();
    t.cleanup();
  }
});
