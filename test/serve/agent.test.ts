import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '../../src/serve/index.js';
import { freePort, tempDir, testConfig } from './helpers.js';
import { Spool } from '../mailq/helpers.js';

const execFileP = promisify(execFile);

/** chronyd answering on 127.0.0.1:port only, never touching the clock (-x). */
async function startChrony(dir: string, port: number) {
  const conf = path.join(dir, 'chrony.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bindaddress 127.0.0.1',
      'local stratum 8',
      'allow 127.0.0.1',
      'cmdport 0',
      `pidfile ${dir}/chronyd.pid`,
      `driftfile ${dir}/drift`,
      '',
    ].join('\n'),
  );
  const proc = spawn('/usr/sbin/chronyd', ['-d', '-x', '-u', 'root', '-f', conf], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  proc.on('error', (e) => {
    log += String(e);
  });
  await sleep(700);
  if (proc.exitCode !== null)
    throw new Error(`chronyd (Debian package chrony) did not start: ${log}`);
  return {
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

test('the agent measures with real peers on loopback: ping, path, iperf3, NTP, exposure, mail queue', async () => {
  const t = tempDir('hostops-agent-');
  const [httpPort, iperfPort, ntpPort] = [await freePort(), await freePort(), await freePort()];
  const chrony = await startChrony(t.dir, ntpPort);
  // a queue of the real exim's making: three messages, one of them frozen
  const sp = new Spool();
  sp.inject('alice@vm', ['x@example.org'], 'Subject: one\n');
  sp.inject('bob@vm', ['y@example.org', 'z@example.org'], 'Subject: two\n');
  sp.exim(['-Mf', sp.inject('carol@vm', ['w@example.org'], 'Subject: cold\n')]);
  const cfg = testConfig(t.dir, httpPort, {
    site: 'lab',
    ping: { interval: '2s', count: 4 },
    path: { enabled: true, interval: '1h', cycles: 2 },
    targets: [{ name: 'lo2', host: '127.0.0.2', sla: { rtt: '< 10 ms' } }],
    iperf: {
      server: true,
      host: '127.0.0.1',
      port: iperfPort,
      peers: [{ name: 'self', host: '127.0.0.1', port: iperfPort, duration: '1s', interval: '1h' }],
    },
    ntp: { enabled: true, host: '127.0.0.1', port: ntpPort, interval: '1h' },
    amp: { enabled: true, targets: ['127.0.0.1'], interval: '1h' },
    mailq: { enabled: true, spool: sp.dir },
    capacity: { topology: path.join(t.dir, 'rack.yaml'), links: { self: 10e9 } },
  });
  writeFileSync(
    path.join(t.dir, 'rack.yaml'),
    'name: rack-3\nswitches:\n  - { id: sw1, uplink: 1Gbit/s }\nhosts:\n  - { id: host, switch: sw1, uplink: 1Gbit/s, count: 8 }\n' +
      'customers:\n  - { id: vps, host: host, port: 1Gbit/s, count: 4, mean: 20Mbit/s, peak: 1Gbit/s }\n',
  );
  const running = await serve(cfg, { firstRunSpread: 0.2, log: () => {} });
  try {
    const base = running.url;
    const get = async (p: string) => (await fetch(base + p)).json() as Promise<any>;
    let st: any;
    for (let i = 0; i < 60; i++) {
      await sleep(500);
      st = await get('/api/status');
      const done = new Set(st.jobs.filter((j: any) => j.lastRun).map((j: any) => j.job));
      if (
        ['ping', 'path', 'iperf:self', 'ntp', 'amp', 'mailq', 'capacity'].every((j) =>
          done.has(j),
        ) &&
        (await get('/api/throughput')).length
      )
        break;
    }
    assert.equal(st.probes.latency, 'src/net pingMany');
    assert.equal(st.probes.path, 'src/net mtr');
    assert.equal(st.probes.throughput, 'src/iperf');
    const failed = st.jobs
      .filter((j: any) => j.failures > 0)
      .map((j: any) => `${j.job}: ${j.lastError}`);
    assert.deepEqual(failed, [], 'no job failed');
    const ov = await get('/api/overview');
    const cell = ov.cells.find((c: any) => c.target === 'lo2');
    assert.ok(cell && cell.median > 0 && cell.median < 0.01 && cell.loss === 0, JSON.stringify(ov));
    assert.ok(
      ov.cells.some((c: any) => c.target === 'localhost'),
      'this host is probed by default',
    );
    const paths = await get('/api/paths');
    const p = paths.find((x: any) => x.target === 'lo2');
    assert.equal(p.hops.at(-1).hosts[0], '127.0.0.2');
    const tput = await get('/api/throughput');
    assert.ok(
      tput[0].bitsPerSecond > 1e8,
      `loopback iperf3 over 100 Mbit/s: ${JSON.stringify(tput[0])}`,
    );
    // peers test against this agent's server: Debian's iperf3 client must get a result from it
    // (async: the server runs in this process)
    const peer = await execFileP(
      'iperf3',
      ['-c', '127.0.0.1', '-p', String(iperfPort), '-t', '1', '-J'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    assert.ok(JSON.parse(peer.stdout).end.sum_received.bits_per_second > 1e8, peer.stdout);
    const ntp = await get('/api/checks/ntp');
    assert.equal(ntp[0].ok, true, JSON.stringify(ntp));
    assert.equal(ntp[0].data.stratum, 8);
    const amp = await get('/api/checks/amp');
    assert.equal(amp[0].data.verdict, 'not-exposed', JSON.stringify(amp[0].data));
    const con = await get('/api/checks/contention');
    assert.equal(con[0].target, 'rack-3', JSON.stringify(con[0]));
    const sw = con[0].data.nominal.find((n: any) => n.id === 'sw1');
    assert.equal(
      sw.endToEnd,
      32,
      'src/capacity: 8 hosts x 4 VPS x 1 Gbit/s behind 1 Gbit/s is 32:1',
    );
    const mq = await get('/api/mailq');
    // what exim itself counts on that spool
    const eximCount = Number(sp.exim(['-bpc']).stdout.trim());
    assert.deepEqual(
      [mq.latest.messages, mq.latest.frozen],
      [eximCount, 1],
      JSON.stringify(mq.latest),
    );
    assert.equal(eximCount, 3);
    const metrics = await (await fetch(base + '/metrics')).text();
    for (const name of [
      'hostops_ping_rtt_seconds_bucket',
      'hostops_ping_loss_ratio',
      'hostops_throughput_bytes_per_second',
      'hostops_ntp_offset_seconds',
      'hostops_amp_exposed',
      'hostops_mailq_messages',
      'hostops_path_hops',
    ]) {
      assert.match(metrics, new RegExp(`^${name}\\{`, 'm'), `${name} exposed`);
    }
  } finally {
    await running.stop();
    await chrony.stop();
    sp.destroy();
    t.cleanup();
  }
});
