import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { mailqModuleSource } from '../../src/serve/probes/mailq-module.js';
import { Spool } from '../mailq/helpers.js';
import { freePort, tempDir, testConfig } from './helpers.js';

const TOKEN = 'mailq-test-token-0123456789';

test('the mail queue panel reads a real Exim spool and removes a frozen message through the API', async () => {
  const spool = new Spool();
  const t = tempDir('hostops-mq-');
  const a = spool.inject(
    'shop@example.org',
    ['x@example.net', 'y@example.net'],
    'Subject: offer\nFrom: shop@example.org\n',
  );
  const b = spool.inject(
    'shop@example.org',
    ['z@example.com'],
    'Subject: offer 2\nFrom: shop@example.org\n',
  );
  spool.exim(['-Mf', b]);
  const port = await freePort();
  const cfg = testConfig(t.dir, port, {
    listen: { host: '127.0.0.1', port, token: TOKEN },
    mailq: { enabled: true, interval: '1s', sourcesInterval: '1h' },
  });
  const mailq = mailqModuleSource({
    spool: spool.dir,
    log: path.join(spool.dir, 'log', 'mainlog'),
    eximArgs: spool.args,
    auditLog: path.join(t.dir, 'audit.log'),
  });
  const running = await serve(cfg, {
    probes: { mailq },
    firstRunSpread: 0.1,
    log: () => {},
    auditLog: path.join(t.dir, 'serve-audit.log'),
  });
  const base = running.url;
  try {
    let mq: any;
    for (let i = 0; i < 40; i++) {
      await sleep(250);
      mq = await (await fetch(`${base}/api/mailq`)).json();
      if (mq.latest) break;
    }
    assert.equal(mq.latest.messages, 2);
    assert.equal(mq.latest.frozen, 1);
    assert.deepEqual(mq.latest.summary.frozenIds, [b]);
    assert.deepEqual(
      mq.latest.summary.topSenders.map((s: any) => [s.sender, s.messages]),
      [['shop@example.org', 2]],
    );
    // who sent them: the spam-sources report over exim's own mainlog of this spool
    let src: any[] = [];
    for (let i = 0; i < 40 && !src.length; i++) {
      await sleep(250);
      src = (await (await fetch(`${base}/api/checks/mailq-sources`)).json()) as any[];
    }
    assert.ok(src.length, 'the mailq-sources job wrote its report');
    assert.equal(src[0].data.messages, 2, JSON.stringify(src[0].data));
    assert.ok(
      src[0].data.top.length >= 1 && src[0].data.top[0].messages === 2,
      JSON.stringify(src[0].data),
    );
    const { csrf } = (await (await fetch(`${base}/api/csrf`)).json()) as { csrf: string };
    const r = await fetch(`${base}/api/mailq/remove`, {
      method: 'POST',
      body: JSON.stringify({ ids: [b] }),
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${TOKEN}`,
        'X-CSRF-Token': csrf,
        Origin: base,
      },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { removed: [b], failed: [] });
    assert.deepEqual(spool.ids(), [a], 'exim removed the frozen message and nothing else');
  } finally {
    await running.stop();
    t.cleanup();
    spool.destroy();
  }
});
