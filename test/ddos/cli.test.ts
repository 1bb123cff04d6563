import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Topology } from '../lib/netns.js';
import { writeScenario, NTP_VICTIM, DNS_VICTIM } from './lib/scenario.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hostops-ddos-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const cli = path.resolve('bin/hostops.js');

test('ddos analyze prints a table, exits 1 when it finds victims, --json gives the report', () => {
  const file = path.join(dir, 'a.pcap');
  writeFileSync(file, writeScenario({ format: 'pcap' }));
  const t = spawnSync(process.execPath, [cli, 'ddos', 'analyze', file, '--min-pps', '500'], {
    encoding: 'utf8',
  });
  assert.equal(t.status, 1, t.stderr);
  assert.match(t.stdout, /2 victims of reflection attacks/);
  assert.match(
    t.stdout,
    new RegExp(`${NTP_VICTIM.replace(/\./g, '\\.')}\\s+ntp/123\\s+30\\s+9000`),
  );
  assert.match(t.stdout, /NTP monlist signature: 9000/);
  const j = spawnSync(
    process.execPath,
    [cli, 'ddos', 'analyze', file, '--min-pps', '500', '--json'],
    { encoding: 'utf8' },
  );
  const rep = JSON.parse(j.stdout);
  assert.deepEqual(
    rep.victims.map((v: { address: string }) => v.address).sort(),
    [NTP_VICTIM, DNS_VICTIM].sort(),
  );
  const none = spawnSync(process.execPath, [cli, 'ddos', 'analyze', file, '--min-pps', '100000'], {
    encoding: 'utf8',
  });
  assert.equal(none.status, 0);
  assert.match(none.stdout, /no reflection attack found/);
});

test('bad input: a named error with the offset and exit code 2', () => {
  const file = path.join(dir, 'bad.pcap');
  writeFileSync(file, Buffer.from('this is not a capture file at all'));
  const r = spawnSync(process.execPath, [cli, 'ddos', 'analyze', file], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown magic 74686973 at byte offset 0/);
  assert.match(r.stderr, /code: DDOS_CAPTURE_BAD_MAGIC/);
  const missing = spawnSync(
    process.execPath,
    [cli, 'ddos', 'analyze', path.join(dir, 'nope.pcap'), '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(missing.status, 2);
  assert.equal(JSON.parse(missing.stderr).error.code, 'DDOS_CAPTURE_UNREADABLE');
});

test('--watch on stdin alerts before the final report', () => {
  const buf = writeScenario({ format: 'pcapng', tsresol: 9 });
  const r = spawnSync(
    process.execPath,
    [cli, 'ddos', 'analyze', '-', '--watch', '--json', '--min-pps', '500', '--quiet-after', '2'],
    { input: buf, encoding: 'utf8' },
  );
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.at(-1).type, 'report');
  const alerts = lines.filter((l) => l.type === 'attack');
  assert.deepEqual(alerts.map((a) => a.victim).sort(), [NTP_VICTIM, DNS_VICTIM].sort());
  const ntp = alerts.find((a) => a.protocol === 'ntp');
  assert.ok(ntp.pps >= 500 && ntp.reflectors >= 10 && ntp.monlistPackets > 0);
  // both attacks stop well before the capture does: each gets an 'end' event after its alert
  const ends = lines.filter((l) => l.type === 'end');
  assert.deepEqual(ends.map((e) => e.victim).sort(), [NTP_VICTIM, DNS_VICTIM].sort());
  const ntpEnd = ends.find((e) => e.protocol === 'ntp');
  assert.equal(ntpEnd.packets, 9000);
  assert.ok(lines.indexOf(ntpEnd) > lines.indexOf(ntp));
  const text = spawnSync(
    process.execPath,
    [cli, 'ddos', 'analyze', '-', '--watch', '--min-pps', '500', '--quiet-after', '2'],
    { input: buf, encoding: 'utf8' },
  );
  assert.match(
    text.stdout,
    /^ALERT .* ntp reflection \(udp\/123\) against 198\.18\.50\.5: \d+ pkt\/s/m,
  );
  assert.match(
    text.stdout,
    /^END .* ntp reflection \(udp\/123\) against 198\.18\.50\.5: lasted [\d.]+ s, 9000 packets/m,
  );
});

test('--watch alerts on a live `tcpdump -U -w -` stream in a namespace', async () => {
  const t = new Topology('bdd');
  try {
    const ns = t.ns('x');
    const tcpdump = t.spawn(ns, [
      'tcpdump',
      '-U',
      '--immediate-mode',
      '-s',
      '512',
      '-B',
      '4096',
      '-n',
      '-i',
      'lo',
      '-w',
      '-',
      'udp',
    ]);
    const an = spawn(
      process.execPath,
      [
        cli,
        'ddos',
        'analyze',
        '-',
        '--watch',
        '--json',
        '--min-pps',
        '50',
        '--min-reflectors',
        '5',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    tcpdump.stdout!.pipe(an.stdin);
    tcpdump.on('error', (e) => {
      throw new Error(`tcpdump is required: ${e.message}`);
    });
    await new Promise<void>((resolve, reject) => {
      let err = '';
      tcpdump.stderr!.on('data', (d) => {
        err += d;
        if (/listening on/.test(err)) resolve();
      });
      tcpdump.on('exit', (c) => reject(new Error(`tcpdump exited ${c}: ${err}`)));
      setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 10_000);
    });
    let out = '';
    const alert = new Promise<Record<string, unknown>>((resolve, reject) => {
      an.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.includes('"type":"attack"'));
        if (line) resolve(JSON.parse(line));
      });
      setTimeout(() => reject(new Error(`no alert: ${out}`)), 20_000);
    });
    // 8 "reflectors" on 127.0.0.2-9 send from port 123 to the victim 127.0.0.1
    const sender = `const d=require('dgram');let n=0;for(let i=2;i<10;i++){const s=d.createSocket('udp4');s.bind(123,'127.0.0.'+i,()=>{let k=0;const go=()=>{for(let j=0;j<20;j++)s.send(Buffer.alloc(440),9,'127.0.0.1');if(++k<15)setTimeout(go,20);else {s.close();}};go();});}`;
    t.exec(ns, [process.execPath, '-e', sender]);
    const a = await alert;
    assert.equal(a.victim, '127.0.0.1');
    assert.equal(a.protocol, 'ntp');
    assert.ok((a.reflectors as number) >= 5);
    tcpdump.kill('SIGTERM');
    an.stdin.end();
    await new Promise((r) => an.on('exit', r));
    const report = JSON.parse(out.trim().split('\n').at(-1)!);
    assert.equal(report.type, 'report');
    assert.equal(report.victims[0].reflectors, 8);
  } finally {
    t.destroy();
  }
});
