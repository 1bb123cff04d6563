/**
 * The probe tests' real peers, shared by test/probe and test/serve: Debian's unbound answering
 * only its local data (on loopback, or inside a namespace), and exim's own SMTP listener with
 * STARTTLS and a test certificate (scripts/setup.d/probe.sh writes its config).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeDns } from '../../src/probe/dns.js';
import { tcpConnectOnce } from '../../src/probe/tcp.js';
import { EXIM } from '../mailq/helpers.js';
import { freePort } from './helpers.js';
import type { Pki } from './pki.js';

export const EXIM_PROBE_CONF = '/etc/exim4/hostops-probe-test.conf';

export interface Peer {
  port: number;
  stop(): Promise<void>;
}

/**
 * unbound on `address`:`port` (default 127.0.0.1 and a free port), "." refused so nothing
 * recurses, probe.test served from local data. `spawnIn` runs it elsewhere (a namespace).
 */
export async function startUnbound(
  o: {
    address?: string;
    port?: number;
    allow?: string;
    spawnIn?: (argv: string[]) => ChildProcess;
  } = {},
): Promise<Peer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hostops-unbound-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true })); // the test process owns it to the end
  const address = o.address ?? '127.0.0.1';
  const port = o.port ?? (await freePort());
  // should anything escape the local zones, it goes to a dead loopback port, never the root servers
  const deadPort = await freePort();
  const conf = path.join(dir, 'unbound.conf');
  writeFileSync(
    conf,
    `server:
  interface: ${address}
  port: ${port}
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "${dir}"
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  do-ip6: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  access-control: ${o.allow ?? '127.0.0.0/8'} allow
  module-config: "iterator"
  local-zone: "." refuse
  local-zone: "probe.test." static
  local-data: "probe.test. 300 IN SOA ns.probe.test. admin.probe.test. 1 3600 600 86400 60"
  local-data: "www.probe.test. 300 IN A 198.18.1.1"
  local-data: "www.probe.test. 300 IN A 198.18.1.2"
  local-data: "www.probe.test. 300 IN AAAA 2001:db8::1"
  local-data: "probe.test. 300 IN MX 10 mail.probe.test."
  local-data: 'probe.test. 300 IN TXT "hello world"'
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@${deadPort}
remote-control:
  control-enable: no
`,
  );
  const argv = ['unbound', '-d', '-c', conf];
  const p = o.spawnIn
    ? o.spawnIn(argv)
    : spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (d) => (err += d));
  const stop = async () => {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await once(p, 'exit');
    }
  };
  // ready when it answers (bounded: 50 tries, 100 ms apart)
  for (let i = 0; i < 50; i++) {
    if (p.exitCode !== null) throw new Error(`unbound exited ${p.exitCode}: ${err}`);
    const r = await probeDns('www.probe.test', { server: address, port, timeoutMs: 100 });
    if (r.rcode) return { port, stop };
    await new Promise((res) => setTimeout(res, 100));
  }
  p.kill('SIGKILL');
  throw new Error(`unbound did not answer on ${address}:${port}: ${err}`);
}

/** exim -bdf on 127.0.0.1 with the test certificate, its own spool; ready when it accepts connections. */
export async function startExim(pki: Pki): Promise<Peer & { log(): string }> {
  // exim reads the certificate as its own user
  chmodSync(pki.dir, 0o755);
  for (const f of readdirSync(pki.dir)) chmodSync(path.join(pki.dir, f), 0o644);
  const spool = path.join(pki.dir, 'spool');
  mkdirSync(path.join(spool, 'log'), { recursive: true });
  execFileSync('chown', ['-R', 'Debian-exim:Debian-exim', spool]);
  const port = await freePort();
  const exim = spawn(
    EXIM,
    [
      '-C',
      EXIM_PROBE_CONF,
      `-DSPOOL=${spool}`,
      `-DTLSCERT=${pki.certFile}`,
      `-DTLSKEY=${path.join(pki.dir, 'srv.key')}`,
      '-bdf',
      '-oX',
      String(port),
      '-oP',
      path.join(pki.dir, 'exim.pid'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  exim.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = once(exim, 'exit');
  const stop = async () => {
    if (exim.exitCode === null && exim.signalCode === null) {
      exim.kill('SIGTERM');
      await exited;
    }
  };
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    // bounded: 10 s
    if (exim.exitCode !== null) break;
    up = 'ms' in (await tcpConnectOnce('127.0.0.1', port, 500));
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    await stop();
    throw new Error(`exim did not listen on ${port}: ${err}`);
  }
  return { port, stop, log: () => err };
}
