/**
 * Test helpers: a throwaway spool driven by the real Debian exim with the hostops test config
 * (scripts/setup.d/mailq.sh): local delivery to a file only, every other domain deferred.
 */
import { runCli } from '../lib/cli.js';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';

export const CONF = '/etc/exim4/hostops-test.conf';
export const EXIM =
  ['/usr/sbin/exim4', '/usr/sbin/exim'].find((p) => fs.existsSync(p)) ?? '/usr/sbin/exim4';
export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export function requirePeers(): void {
  if (!fs.existsSync(EXIM))
    throw new Error(`exim is not installed (${EXIM}); run scripts/setup-test.sh`);
  if (!fs.existsSync(CONF))
    throw new Error(`${CONF} is missing; run scripts/setup.d/mailq.sh as root`);
  if (!fs.readFileSync('/etc/exim4/trusted_configs', 'utf8').split('\n').includes(CONF)) {
    throw new Error(`${CONF} is not in /etc/exim4/trusted_configs; run scripts/setup.d/mailq.sh`);
  }
}

export class Spool {
  readonly dir: string;
  constructor() {
    requirePeers();
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hostops-mailq-'));
    execFileSync('chown', ['Debian-exim:Debian-exim', this.dir]);
    fs.chmodSync(this.dir, 0o755);
  }
  get args(): string[] {
    return ['-C', CONF, `-DSPOOL=${this.dir}`];
  }
  /** Run exim with the test config; returns stdout (throws on failure unless allowFail). */
  exim(
    argv: string[],
    input?: string | Buffer,
    allowFail = false,
  ): { stdout: string; stderr: string; status: number } {
    const r = spawnSync(EXIM, [...this.args, ...argv], {
      input,
      encoding: 'latin1',
      maxBuffer: 64 << 20,
    });
    if (r.status !== 0 && !allowFail)
      throw new Error(`exim ${argv.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
  }
  /** Queue one message (not delivered); returns its id. */
  inject(
    sender: string,
    rcpts: string[],
    headers: string,
    body = 'hello\n',
    extra: string[] = [],
  ): string {
    const before = new Set(this.ids());
    this.exim(['-odq', ...extra, '-f', sender, ...rcpts], `${headers}\n${body}`);
    const id = this.ids().find((i) => !before.has(i));
    if (!id) throw new Error('injected message not found on the spool');
    return id;
  }
  ids(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      if (!fs.existsSync(d)) return;
      for (const n of fs.readdirSync(d)) {
        if (n.length === 1) walk(path.join(d, n));
        else if (n.endsWith('-H') && (n.length === 18 || n.length === 25)) out.push(n.slice(0, -2));
      }
    };
    walk(path.join(this.dir, 'input'));
    return out.sort();
  }
  file(id: string, suffix: string): string {
    const flat = path.join(this.dir, 'input', id + suffix);
    return fs.existsSync(flat) ? flat : path.join(this.dir, 'input', id[5], id + suffix);
  }
  /** sha256 of every file under input/ and msglog/, by relative path. */
  snapshot(): Map<string, string> {
    const m = new Map<string, string>();
    const walk = (d: string) => {
      for (const n of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, n.name);
        if (n.isDirectory()) walk(p);
        else if (n.isFile())
          m.set(
            path.relative(this.dir, p),
            crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),
          );
      }
    };
    for (const sub of ['input', 'msglog'])
      if (fs.existsSync(path.join(this.dir, sub))) walk(path.join(this.dir, sub));
    return m;
  }
  destroy(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run the built CLI. */
export function hostops(
  args: string[],
  env: Record<string, string> = {},
): { stdout: string; stderr: string; status: number } {
  return runCli(args, { env, encoding: 'latin1' });
}

/** Compare our output with exim's, tolerating one minute boundary passing between the runs. */
export function sameAsExim(
  ours: () => string,
  theirs: () => string,
): { ours: string; theirs: string; equal: boolean } {
  for (let i = 0; i < 3; i++) {
    const a = theirs();
    const b = ours();
    const c = theirs();
    if (b === a || b === c) return { ours: b, theirs: a, equal: true };
    if (a === c) return { ours: b, theirs: a, equal: false };
  }
  return { ours: ours(), theirs: theirs(), equal: false };
}

/** Build the standard mixed queue used by several tests. */
export function standardQueue(sp: Spool): Record<string, string> {
  const ids: Record<string, string> = {};
  ids.plain = sp.inject(
    'alice@vm',
    ['bob@example.net', 'carol@example.org'],
    'Subject: plain one\nFrom: alice@vm\n',
  );
  ids.partial = sp.inject(
    'sender@example.com',
    ['bob@vm', 'team@example.net'],
    'Subject: partly delivered\n',
  );
  sp.exim(['-M', ids.partial]); // bob@vm is delivered locally, the other stays deferred: a D line
  ids.frozen = sp.inject('frozen@example.com', ['x@example.org'], 'Subject: cold\n');
  sp.exim(['-Mf', ids.frozen]);
  ids.bounce = sp.inject('', ['alice@example.net'], 'Subject: Mail delivery failed\n');
  ids.php = sp.inject(
    'wp@site.example',
    ['victim1@example.org', 'victim2@example.org'],
    'Subject: cheap pills\nX-PHP-Script: site.example/wp-content/x.php for 203.0.113.9\n',
  );
  ids.auth = sp.inject('info@example.com', ['bob@example.net'], 'Subject: via auth\n', 'hi\n', [
    '-oMai',
    'info@example.com',
    '-oMaa',
    'dovecot_login',
    '-oMr',
    'esmtpa',
    '-oMa',
    '203.0.113.5',
  ]);
  ids.huge = sp.inject(
    'big@example.com',
    ['bob@example.net'],
    'Subject: huge\n',
    'x'.repeat(999) + '\n'.repeat(1) + ('y'.repeat(1023) + '\n').repeat(20 * 1024),
  );
  ids.subdir = sp.inject('split@example.com', ['z@example.net'], 'Subject: in a subdirectory\n');
  // mixed layout: exim finds messages in input/<6th id char>/ too
  const sub = path.join(sp.dir, 'input', ids.subdir[5]);
  fs.mkdirSync(sub, { recursive: true });
  execFileSync('chown', ['Debian-exim:Debian-exim', sub]);
  for (const s of ['-H', '-D'])
    fs.renameSync(path.join(sp.dir, 'input', ids.subdir + s), path.join(sub, ids.subdir + s));
  return ids;
}
