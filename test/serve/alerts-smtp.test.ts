/**
 * The SMTP notifier against a real exim daemon on 127.0.0.1 (scripts/setup.d/alerts.sh writes its
 * config: mail for vm/localhost goes to a file, anything else is refused), and against a peer that
 * never answers (the send gives up after its timeout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { viaSmtp } from '../../src/serve/alerts/index.js';
import { freePort, tempDir } from './helpers.js';
import { until } from './alert-peers.js';
import { EXIM } from '../mailq/helpers.js';

const CONF = '/etc/exim4/hostops-alerts-test.conf';

test('the SMTP client delivers through a real exim daemon and reports a refused recipient in its words', async () => {
  assert.ok(existsSync(CONF), `${CONF} is missing: run scripts/setup.d/alerts.sh`);
  const d = tempDir('hostops-smtp-');
  chmodSync(d.dir, 0o755);
  const spool = path.join(d.dir, 'exim');
  mkdirSync(spool);
  execFileSync('chown', ['Debian-exim:Debian-exim', spool]);
  const port = await freePort();
  const exim = spawn(
    EXIM,
    [
      '-C',
      CONF,
      `-DSPOOL=${spool}`,
      '-bdf',
      '-oX',
      String(port),
      '-oP',
      path.join(d.dir, 'exim.pid'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  exim.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = once(exim, 'exit');
  try {
    await until(
      () =>
        new Promise<boolean>((r) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.destroy();
            r(true);
          });
          s.on('error', () => r(false));
        }),
      'exim to listen',
      15_000,
      () => err,
    );
    await viaSmtp(
      `smtp://127.0.0.1:${port}`,
      {
        from: 'hostops@vm',
        to: ['ops@localhost', 'oncall@vm'],
        subject: '[FIRING:1] HostopsTargetDown (site lab)',
        body: '.a line starting with a dot\nsecond line\n',
      },
      10_000,
    );
    const box = path.join(spool, 'mail', 'local');
    const text = await until(
      () =>
        existsSync(box) &&
        readFileSync(box, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('Subject: ')).length === 2 &&
        readFileSync(box, 'utf8'),
      'two deliveries in the mailbox',
      15_000,
      () => err,
    );
    assert.match(text, /^Subject: \[FIRING:1\] HostopsTargetDown \(site lab\)$/m);
    assert.match(text, /^To: ops@localhost, oncall@vm$/m);
    assert.match(text, /^Auto-Submitted: auto-generated$/m);
    assert.match(
      text,
      /\n\.a line starting with a dot\nsecond line\n/,
      'dot-stuffing undone by the server: the body arrives as written',
    );
    await assert.rejects(
      viaSmtp(
        `smtp://127.0.0.1:${port}`,
        { from: 'hostops@vm', to: ['ops@example.net'], subject: 's', body: 'b' },
        10_000,
      ),
      (e: Error) =>
        /^SMTP server 127\.0\.0\.1:\d+ answered RCPT TO with 550 hostops test config accepts mail for vm and localhost only$/.test(
          e.message,
        ) || assert.fail(e.message),
    );
  } finally {
    exim.kill('SIGTERM');
    await exited;
    d.cleanup();
  }
});

test('an SMTP peer that never answers is given up after the timeout', async () => {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await assert.rejects(
      viaSmtp(
        `smtp://127.0.0.1:${port}`,
        { from: 'a@vm', to: ['b@vm'], subject: 's', body: 'b' },
        500,
      ),
      (e: Error) =>
        e.message === `SMTP server 127.0.0.1:${port}: no answer within 0.5 s` ||
        assert.fail(e.message),
    );
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
