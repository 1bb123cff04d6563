import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Spool, hostops, EXIM } from './helpers.js';
import { runEximstats, ourFigures, EXIMSTATS } from './fixtures/eximstats.js';
import type { DeliveriesReport } from '../../src/mailq/deliveries.js';

// Real exim delivers to a small SMTP server on 127.0.0.1 and 127.0.0.2 that answers as providers
// do when they refuse mail; its mainlog is then read by us and by eximstats.
const CONF = '/etc/exim4/hostops-deliveries-test.conf';
if (!fs.existsSync(CONF) || !fs.existsSync(EXIMSTATS))
  throw new Error(`${CONF} or ${EXIMSTATS} missing: run scripts/setup.d/mailq-deliveries.sh`);

const REPLIES: [RegExp, string][] = [
  [
    /^block/,
    '550 5.7.1 Service unavailable; client host [127.0.0.1] blocked using zen.spamhaus.org',
  ],
  [
    /^nobody/,
    '550 5.1.1 <nobody@b.example>: Recipient address rejected: User unknown in virtual mailbox table',
  ],
  [/^full/, '552 5.2.2 Mailbox full'],
  [/^greyl/, '450 4.7.1 Greylisted, please try again later'],
  [/^rate/, '451 4.7.0 rate limited, try again later'],
];

function smtpServer(): net.Server {
  return net.createServer((s) => {
    s.setEncoding('latin1');
    let buf = '';
    let data = false;
    s.write('220 mx.test ESMTP\r\n');
    s.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\r\n')) !== -1) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (l === '.') {
            data = false;
            s.write('250 2.0.0 Ok: queued\r\n');
          }
          continue;
        }
        const cmd = l.slice(0, 4).toUpperCase();
        if (cmd === 'EHLO' || cmd === 'HELO') s.write('250-mx.test\r\n250 PIPELINING\r\n');
        else if (cmd === 'MAIL') {
          if (/throttle@/.test(l)) {
            s.end('421 4.7.0 rate limited, closing connection\r\n');
            return;
          }
          s.write('250 2.1.0 Ok\r\n');
        } else if (cmd === 'RCPT') {
          const lp = /<([^@>]*)/.exec(l)?.[1] ?? '';
          s.write((REPLIES.find(([re]) => re.test(lp))?.[1] ?? '250 2.1.5 Ok') + '\r\n');
        } else if (cmd === 'DATA') {
          data = true;
          s.write('354 go ahead\r\n');
        } else if (cmd === 'QUIT') {
          s.end('221 bye\r\n');
          return;
        } else s.write('250 Ok\r\n');
      }
    });
    s.on('error', () => {});
  });
}

const sp = new Spool();
const servers = [smtpServer(), smtpServer()];
let port = 0;
const args = () => ['-C', CONF, `-DSPOOL=${sp.dir}`, `-DPORT=${port}`];
function exim(argv: string[], input: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = spawn(EXIM, [...args(), ...argv], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => {
      err += d;
    });
    c.on('error', reject);
    c.on('close', (code) =>
      code === 0
        ? resolve(code)
        : reject(new Error(`exim ${argv.join(' ')} exited ${code}: ${err}`)),
    );
    c.stdin.end(input);
  });
}
const log = () => path.join(sp.dir, 'log', 'mainlog');

before(async () => {
  await new Promise<void>((r) => servers[0].listen(0, '127.0.0.1', r));
  port = (servers[0].address() as net.AddressInfo).port;
  await new Promise<void>((r) => servers[1].listen(port, '127.0.0.2', r));
  const send = (from: string, to: string[]) =>
    exim(['-odi', '-f', from, ...to], 'Subject: test\n\nhello\n');
  await send('news@vm', ['ok1@a.example', 'ok2@a.example', 'alice@vm']); // =>, -> and a local =>
  await send('news@vm', ['block@a.example']);
  await send('news@vm', ['nobody@b.example', 'ok3@b.example']);
  await send('news@vm', ['full@a.example']);
  await send('news@vm', ['greyl@a.example', 'ok4@a.example']);
  await send('news@vm', ['rate@b.example']);
  await send('throttle@vm', ['x@a.example']); // 421 at MAIL: the host is then deferred
  await send('news@vm', ['later@a.example']); // the 421 is not a host failure for exim: delivered
  // our own ACLs: an SMTP session from 203.0.113.9 (exim -bs with -oMa, as root may)
  await exim(
    ['-bs', '-oMa', '203.0.113.9'],
    [
      'HELO client.test',
      'MAIL FROM:<a@ext.test>',
      'RCPT TO:<spamtrap@vm>',
      'RCPT TO:<grey@vm>',
      'RCPT TO:<someone@elsewhere.test>',
      'RCPT TO:<alice@vm>',
      'DATA',
      'X-Test-Virus: yes',
      'Subject: x',
      '',
      'body',
      '.',
      'QUIT',
      '',
    ].join('\r\n'),
  );
});
after(() => {
  for (const s of servers) s.close();
  sp.destroy();
});

const run = (...a: string[]) =>
  hostops([
    'mailq',
    'deliveries',
    '--spool',
    sp.dir,
    '-C',
    CONF,
    '-D',
    `SPOOL=${sp.dir}`,
    '--log',
    log(),
    ...a,
  ]);

test("real exim log: per-host, rejection and total counts equal eximstats' on the same log", () => {
  const r = run('--json', '--no-queue');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as DeliveriesReport;
  const e = runEximstats([log()]);
  assert.equal(e.status, 0, e.stderr);
  const ours = ourFigures(j);
  assert.deepEqual(ours, e.figures);
  // and the log holds what the scenario made: both hosts, deliveries, both kinds of rejection
  assert.deepEqual(Object.keys(ours.hosts).sort(), ['127.0.0.1', '127.0.0.2', 'local']);
  assert.ok(j.totals.addresses > j.totals.delivered, 'a -> line was counted');
  assert.deepEqual(j.rejectingIps, [{ ip: '[203.0.113.9]', rejected: 3, temporary: 1 }]);
});

test('defer and bounce reasons are grouped into categories with their texts', () => {
  const j = JSON.parse(run('--json', '--no-queue').stdout) as DeliveriesReport;
  const cat = (rows: DeliveriesReport['bounceReasons']) =>
    Object.fromEntries(rows.map((c) => [c.category, c.count]));
  assert.deepEqual(cat(j.bounceReasons), { blocklisted: 1, 'user-unknown': 1, 'mailbox-full': 1 });
  const d = cat(j.deferReasons);
  assert.equal(d.greylisted, 1);
  assert.equal(d['rate-limited'], 2); // 451 at RCPT and 421 at MAIL
  assert.deepEqual(Object.keys(d).sort(), ['greylisted', 'rate-limited']);
  const bl = j.bounceReasons.find((c) => c.category === 'blocklisted')!;
  assert.equal(
    bl.texts[0].text,
    '550 5.7.1 Service unavailable; client host [IP] blocked using zen.spamhaus.org',
  );
  const b = j.domains.find((x) => x.domain === 'b.example')!;
  assert.deepEqual([b.delivered, b.deferred, b.failed], [1, 1, 1]);
});

test('queue join: deferred messages are counted per destination domain', () => {
  const r = run('--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as DeliveriesReport;
  const q = (d: string) => j.domains.find((x) => x.domain === d)?.queued;
  assert.equal(q('a.example'), 2); // greyl and x (throttled)
  assert.equal(q('b.example'), 1); // rate
  assert.deepEqual(j.queue, { messages: 3, frozen: 0 }); // the greylisted, throttled and rate-limited messages
});

test('text report, the stats alias, and a --since window after the log holds nothing', () => {
  const t = hostops([
    'mailq',
    'stats',
    '--spool',
    sp.dir,
    '--log',
    log(),
    '--no-queue',
    '--no-hourly',
  ]);
  assert.equal(t.status, 0, t.stderr);
  const j = JSON.parse(run('--json', '--no-queue').stdout) as DeliveriesReport;
  const x = j.totals;
  assert.ok(
    t.stdout.split('\n')[1] ===
      `received ${x.received}   delivered ${x.delivered} messages / ${x.addresses} addresses   deferrals ${x.deferrals} ` +
        `(${x.delayedMessages} messages)   failures ${x.failures} (${x.failedMessages} messages)   rejections ${x.rejections} + ${x.temporaryRejections} temporary`,
    t.stdout,
  );
  assert.ok(
    t.stdout.includes(
      '\nfailure (bounce) reasons\n       1  blocklisted\n             1  550 5.7.1 Service unavailable; client host [IP] blocked using zen.spamhaus.org\n',
    ),
    t.stdout,
  );
  const w = JSON.parse(
    run('--json', '--no-queue', '--since', '2099-01-01').stdout,
  ) as DeliveriesReport;
  assert.equal(w.totals.delivered + w.totals.deferrals + w.totals.failures, 0);
});

test('generated log with every rejection kind: eximstats equality, and .gz gives the same report as plain', async () => {
  const { generateDeliveriesLog } = await import('./fixtures/gen-deliveries-log.js');
  const zlib = await import('node:zlib');
  const g = path.join(sp.dir, 'gen-mainlog');
  generateDeliveriesLog(g, { bytes: 400_000, seed: 9 });
  fs.writeFileSync(g + '.gz', zlib.gzipSync(fs.readFileSync(g)));
  const plain = hostops([
    'mailq',
    'deliveries',
    '--spool',
    sp.dir,
    '--log',
    g,
    '--json',
    '--no-queue',
  ]);
  const gz = hostops([
    'mailq',
    'deliveries',
    '--spool',
    sp.dir,
    '--log',
    g + '.gz',
    '--json',
    '--no-queue',
  ]);
  assert.equal(plain.status, 0, plain.stderr);
  const a = JSON.parse(plain.stdout) as DeliveriesReport;
  const b = JSON.parse(gz.stdout) as DeliveriesReport;
  a.files = b.files = [];
  assert.deepEqual(b, a);
  const e = runEximstats([g]);
  assert.equal(e.status, 0, e.stderr);
  assert.deepEqual(ourFigures(a), e.figures);
  assert.ok(
    a.totals.rejections > 0 &&
      a.totals.temporaryRejections > 0 &&
      a.totals.deferrals > 0 &&
      a.totals.failures > 0,
  );
});

test('reason texts: exim prefixes removed, per-message parts masked, categories', async () => {
  const { reasonOf, normalizeReason, categorize } = await import(
    '../../src/mailq/deliveries-classify.js'
  );
  const line =
    'u1@gmail.com R=dnslookup T=remote_smtp defer (-44) H=gmail-smtp-in.l.google.com [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<u1@gmail.com>: 450 4.2.1 <u1@gmail.com>: The user you are trying to contact is receiving mail at a rate that prevents additional messages';
  assert.equal(
    normalizeReason(reasonOf(line)),
    '450 4.2.1 <ADDR>: The user you are trying to contact is receiving mail at a rate that prevents additional messages',
  );
  assert.equal(
    reasonOf('x@y.example R=dnslookup T=remote_smtp defer (111): Connection refused'),
    'Connection refused',
  );
  assert.equal(reasonOf('nobody@nowhere.invalid: Unrouteable address'), 'Unrouteable address');
  const cases: [string, string][] = [
    [
      '550 5.7.1 Service unavailable; client host [IP] blocked using zen.spamhaus.org',
      'blocklisted',
    ],
    ['421 4.7.0 rate limited, try again later', 'rate-limited'],
    ['421 4.7.28 Gmail has rate limited this message', 'rate-limited'],
    [
      '450 4.2.1 <ADDR>: The user you are trying to contact is receiving mail at a rate that prevents additional messages',
      'rate-limited',
    ],
    ['450 4.7.1 Greylisted, please try again later', 'greylisted'],
    ['550 5.1.1 User unknown', 'user-unknown'],
    ['552 5.2.2 Mailbox full', 'mailbox-full'],
    ['SMTP timeout after end of data: timed out', 'dns-timeout'],
    ['554 5.7.0 Message rejected as spam by Content Filtering', 'spam-content'],
    ['530 5.7.0 Must issue a STARTTLS command first', 'tls'],
    ['554 5.0.0 something else', 'other'],
  ];
  for (const [t, c] of cases) assert.equal(categorize(t), c, t);
});
