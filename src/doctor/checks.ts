/**
 * `hostops doctor`: what the configured jobs need from this host, checked the way the jobs do it
 * (open the sockets, read the spool, bind the ports), each problem with its fix. Returns data;
 * src/cli/doctor.ts formats it. A check that fails blocks the jobs it names; a warning does not.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { ResolvedConfig } from '../config/index.js';
import { ADDONS, addonFile, loadAddon } from '../lib/native.js';
import { redactUrl } from '../lib/redact-url.js';
import { findExim, locatePaths } from '../mailq/paths.js';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  id: string;
  title: string;
  status: Status;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
  /** The serve jobs (or parts) that cannot run while this fails. */
  jobs: string[];
}

export interface Report {
  ok: boolean;
  config: string | null;
  user: { uid: number; gid: number; groups: string[] };
  checks: Check[];
  /** Jobs blocked by a failing check. */
  blocked: string[];
}

const CAP_NET_BIND_SERVICE = 10;
const CAP_NET_RAW = 13;

/** Effective capability bits of this process (/proc/self/status CapEff). */
export function effectiveCaps(statusFile = '/proc/self/status'): bigint {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(statusFile, 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return 0n;
  }
}

const hasCap = (caps: bigint, bit: number) => ((caps >> BigInt(bit)) & 1n) !== 0n;

function groupNames(): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3) m.set(Number(f[2]), f[0]);
    }
  } catch {
    /* no names, numbers only */
  }
  return m;
}

function myGroups(): number[] {
  const g = new Set<number>(process.getgroups?.() ?? []);
  if (process.getegid) g.add(process.getegid());
  return [...g];
}

/** Why the last run() failed (first line of stderr, or the spawn error), for the report. */
let lastError = '';

function run(cmd: string, args: string[], timeout = 5000): string | null {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      timeout,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; code?: string; message: string };
    lastError =
      (err.code === 'ENOENT' || err.code === 'EACCES'
        ? 'not found on PATH'
        : `${err.stderr ?? ''}${err.stdout ?? ''}`.trim().split('\n')[0]) ||
      err.message.split('\n')[0];
    return null;
  }
}

function check(
  id: string,
  title: string,
  status: Status,
  detail: string,
  jobs: string[],
  fix?: string,
): Check {
  return fix && status !== 'ok' && status !== 'skip'
    ? { id, title, status, detail, fix, jobs }
    : { id, title, status, detail, jobs };
}

function addonLoads(name: (typeof ADDONS)[number]): boolean {
  try {
    loadAddon(name);
    return true;
  } catch {
    return false;
  }
}

function nativeCheck(): Check {
  const bad: string[] = [];
  const errors: string[] = [];
  const dirs = new Set<string>();
  for (const n of ADDONS) {
    try {
      loadAddon(n);
      dirs.add(path.dirname(addonFile(n)!));
    } catch (e) {
      bad.push(n);
      errors.push((e as Error).message);
    }
  }
  if (bad.length) {
    return check(
      'native',
      'native addons',
      'fail',
      `${bad.join(', ')} ${bad.length > 1 ? 'do' : 'does'} not load (${errors[0]})`,
      ['ping', 'path', 'amp', 'mailq'],
      'reinstall the release tarball (prebuilt linux-x64 glibc addons), or build them: `npm rebuild -g hostops` with python3, make and g++ installed',
    );
  }
  return check(
    'native',
    'native addons',
    'ok',
    `${ADDONS.length} loaded from ${[...dirs].join(', ')}`,
    [],
  );
}

/** The gid range in /proc/sys/net/ipv4/ping_group_range, and whether one of our groups is in it. */
export function pingGroupRange(
  file = '/proc/sys/net/ipv4/ping_group_range',
  groups = myGroups(),
): { lo: number; hi: number; allowed: boolean } | null {
  try {
    const [lo, hi] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return { lo, hi, allowed: groups.some((g) => g >= lo && g <= hi) };
  } catch {
    return null;
  }
}

async function icmpCheck(addonOk: boolean): Promise<Check> {
  const jobs = ['ping', 'path'];
  if (!addonOk)
    return check(
      'icmp',
      'ICMP probes',
      'fail',
      'cannot be tried: the probe addon (hostops_probe) does not load',
      jobs,
      'see "native addons" above',
    );
  let probe: typeof import('../net/probe-socket.js');
  try {
    probe = await import('../net/probe-socket.js');
  } catch (e) {
    return check(
      'icmp',
      'ICMP probes',
      'fail',
      `the probe layer does not load: ${(e as Error).message}`,
      jobs,
      'see "native addons"',
    );
  }
  const tryOpen = (kind: 'icmp-raw' | 'icmp-dgram'): string | null => {
    try {
      probe.ProbeSocket.open(kind, 4, () => {}).close();
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };
  const rawErr = tryOpen('icmp-raw');
  if (!rawErr)
    return check(
      'icmp',
      'ICMP probes',
      'ok',
      'raw ICMP sockets (CAP_NET_RAW): every probe kind works',
      [],
    );
  const range = pingGroupRange();
  const dgramErr = tryOpen('icmp-dgram');
  const rangeText = range
    ? `ping_group_range ${range.lo} ${range.hi}`
    : 'ping_group_range unreadable';
  if (!dgramErr) {
    return check(
      'icmp',
      'ICMP probes',
      'ok',
      `datagram ICMP sockets (${rangeText} includes this group); no CAP_NET_RAW, so mtr's UDP/TCP modes and raw probes are unavailable`,
      [],
    );
  }
  const gid = process.getegid ? process.getegid() : 0;
  return check(
    'icmp',
    'ICMP probes',
    'fail',
    `no raw ICMP socket (CAP_NET_RAW not effective) and no datagram ICMP socket (${rangeText} excludes gid ${gid})`,
    jobs,
    'run the service with AmbientCapabilities=CAP_NET_RAW (systemd/hostops.service does), or allow ping sockets for its group: ' +
      `\`sysctl -w net.ipv4.ping_group_range="${gid} ${gid}"\` (persist in /etc/sysctl.d/60-hostops.conf)`,
  );
}

function capsCheck(cfg: ResolvedConfig): Check {
  const caps = effectiveCaps();
  const have = [
    hasCap(caps, CAP_NET_RAW) && 'CAP_NET_RAW',
    hasCap(caps, CAP_NET_BIND_SERVICE) && 'CAP_NET_BIND_SERVICE',
  ].filter(Boolean) as string[];
  const lowPorts = [cfg.listen.port, cfg.iperf.server ? cfg.iperf.port : 0].filter(
    (p) => p > 0 && p < 1024,
  );
  if (lowPorts.length && !hasCap(caps, CAP_NET_BIND_SERVICE)) {
    return check(
      'caps',
      'capabilities',
      'fail',
      `ports ${lowPorts.join(', ')} are below 1024 and CAP_NET_BIND_SERVICE is not effective`,
      ['http', 'iperf-server'],
      'use ports >= 1024 (listen.port, iperf.port), or add CAP_NET_BIND_SERVICE to AmbientCapabilities in the unit',
    );
  }
  const extra =
    process.getuid?.() === 0
      ? ' (running as root: the service runs as the hostops user with CAP_NET_RAW only)'
      : '';
  return check(
    'caps',
    'capabilities',
    'ok',
    `effective: ${have.length ? have.join(', ') : 'none of CAP_NET_RAW, CAP_NET_BIND_SERVICE'}${extra}`,
    [],
  );
}

/** The group owning `p` (or its nearest ancestor we may stat: the spool's input/ is behind a 0750 directory), named. */
function ownerGroup(p: string): string {
  for (let d = p; ; d = path.dirname(d)) {
    try {
      const gid = fs.statSync(d).gid;
      return groupNames().get(gid) ?? String(gid);
    } catch {
      if (path.dirname(d) === d) return '?';
    }
  }
}

function readable(p: string, dir: boolean): string | null {
  try {
    if (dir) fs.readdirSync(p);
    else fs.closeSync(fs.openSync(p, 'r'));
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  }
}

async function eximChecks(cfg: ResolvedConfig): Promise<Check[]> {
  const jobs = ['mailq'];
  const exim = findExim();
  const wanted = cfg.mailq.enabled;
  const paths = await locatePaths({ spool: cfg.mailq.spool, log: cfg.mailq.log });
  const spoolThere = fs.existsSync(paths.spool);
  if (wanted === false) return [check('exim', 'Exim', 'skip', 'mailq.enabled is false', [])];
  if (!exim && !spoolThere) {
    const status: Status = wanted === true ? 'fail' : 'skip';
    return [
      check(
        'exim',
        'Exim',
        status,
        `no exim binary (/usr/sbin/exim, exim4) and no spool at ${paths.spool}: mail queue sampling is off`,
        jobs,
        'install Exim, or point mailq.spool / mailq.log at it in hostops.yaml',
      ),
    ];
  }
  const out: Check[] = [];
  const version = exim ? run(exim, ['-bV'])?.split('\n')[0] : undefined;
  out.push(
    check(
      'exim',
      'Exim',
      exim ? 'ok' : 'warn',
      exim
        ? `${exim}${version ? `: ${version}` : ''}`
        : `no exim binary; spool ${paths.spool} is read directly`,
      exim ? [] : ['mailq actions'],
      'queue actions (rm, freeze, thaw, deliver) go through the exim binary; set HOSTOPS_EXIM to its path',
    ),
  );
  const input = path.join(paths.spool, 'input');
  const spoolErr = readable(input, true);
  out.push(
    spoolErr
      ? check(
          'spool',
          'Exim spool readable',
          'fail',
          `cannot list ${input} (${spoolErr})`,
          jobs,
          `give the service exim's group: SupplementaryGroups=${ownerGroup(input)} (systemd/setup-service.sh does), or \`usermod -aG ${ownerGroup(input)} hostops\``,
        )
      : check('spool', 'Exim spool readable', 'ok', input, []),
  );
  const logErr = readable(paths.mainlog, false);
  const notYet = logErr === 'ENOENT' && !readable(path.dirname(paths.mainlog), true);
  out.push(
    notYet
      ? check(
          'mainlog',
          'Exim mainlog readable',
          'ok',
          `${paths.mainlog} does not exist yet (exim has not logged); its directory is readable`,
          [],
        )
      : logErr
        ? check(
            'mainlog',
            'Exim mainlog readable',
            'warn',
            `cannot read ${paths.mainlog} (${logErr}): the "what is sending" report is empty`,
            ['mailq sources'],
            logErr === 'ENOENT'
              ? 'set mailq.log in hostops.yaml to the mainlog (exim -bP log_file_path)'
              : `add the group of ${path.dirname(paths.mainlog)} (${ownerGroup(path.dirname(paths.mainlog))}) to SupplementaryGroups`,
          )
        : check('mainlog', 'Exim mainlog readable', 'ok', paths.mainlog, []),
  );
  if (exim) {
    const sel = run(exim, ['-bP', 'log_selector']);
    const value = sel?.replace(/^\s*log_selector\s*=\s*/, '').trim();
    if (sel === null)
      out.push(
        check(
          'arguments',
          'mainlog +arguments',
          'warn',
          `\`${exim} -bP log_selector\` failed: ${lastError}`,
          ['mailq sources'],
          'run it by hand to see why',
        ),
      );
    else if (/\+arguments\b/.test(sel) || /\+all\b/.test(sel))
      out.push(
        check(
          'arguments',
          'mainlog +arguments',
          'ok',
          'log_selector has +arguments: scripts are named by their cwd=',
          [],
        ),
      );
    else {
      out.push(
        check(
          'arguments',
          'mainlog +arguments',
          'warn',
          `log_selector lacks +arguments (${value || 'empty'}): mail sent by PHP scripts cannot be traced to its directory`,
          ['mailq sources'],
          'add +arguments to log_selector: Debian, MAIN_LOG_SELECTOR in /etc/exim4/exim4.conf.localmacros then `update-exim4.conf && systemctl reload exim4`; cPanel, WHM > Exim Configuration Manager > Advanced Editor > log_selector',
        ),
      );
    }
  }
  return out;
}

/** Bind host:port as the job would; 'in use' is fine when it is a running hostops serve. */
function bindable(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(null)));
  });
}

async function servedByHostops(host: string, port: number): Promise<boolean> {
  try {
    const h = host.includes(':')
      ? `[${host}]`
      : host === '0.0.0.0'
        ? '127.0.0.1'
        : host === '::'
          ? '[::1]'
          : host;
    const r = await fetch(`http://${h}:${port}/`, { signal: AbortSignal.timeout(2000) });
    return /hostops/i.test(await r.text());
  } catch {
    return false;
  }
}

async function portChecks(cfg: ResolvedConfig): Promise<Check[]> {
  const out: Check[] = [];
  const l = cfg.listen;
  const err = l.port === 0 ? null : await bindable(l.host, l.port);
  const running = err === 'EADDRINUSE' && (await servedByHostops(l.host, l.port));
  out.push(
    !err
      ? check('listen', 'dashboard port', 'ok', `${l.host}:${l.port} is free`, [])
      : running
        ? check(
            'listen',
            'dashboard port',
            'ok',
            `${l.host}:${l.port} is served by a running hostops serve`,
            [],
          )
        : check(
            'listen',
            'dashboard port',
            'fail',
            `cannot listen on ${l.host}:${l.port} (${err})`,
            ['http'],
            err === 'EADDRINUSE'
              ? `another program has it (\`ss -ltnp 'sport = :${l.port}'\`); set listen.port in hostops.yaml`
              : err === 'EACCES'
                ? 'use a port >= 1024 or grant CAP_NET_BIND_SERVICE'
                : 'check listen.host is an address of this host',
          ),
  );
  if (!cfg.iperf.server)
    out.push(check('iperf', 'iperf3 server port', 'skip', 'iperf.server is false', []));
  else {
    const e2 = cfg.iperf.port === 0 ? null : await bindable(cfg.iperf.host, cfg.iperf.port);
    out.push(
      !e2
        ? check(
            'iperf',
            'iperf3 server port',
            'ok',
            `${cfg.iperf.host}:${cfg.iperf.port} is free`,
            [],
          )
        : e2 === 'EADDRINUSE' && running
          ? check(
              'iperf',
              'iperf3 server port',
              'ok',
              `${cfg.iperf.host}:${cfg.iperf.port} in use, presumably by the running hostops serve`,
              [],
            )
          : check(
              'iperf',
              'iperf3 server port',
              'fail',
              `cannot listen on ${cfg.iperf.host}:${cfg.iperf.port} (${e2})`,
              ['iperf-server'],
              e2 === 'EADDRINUSE'
                ? `Debian's iperf3 service may hold it: \`systemctl disable --now iperf3\`, or set iperf.port`
                : 'check iperf.host is an address of this host',
            ),
    );
  }
  return out;
}

async function storeCheck(cfg: ResolvedConfig): Promise<Check[]> {
  const out: Check[] = [];
  const files = cfg.store.kind === 'sqlite' ? [cfg.store.path] : [cfg.store.spool.path];
  for (const f of files) {
    const dir = path.dirname(path.resolve(f));
    let existing = dir;
    while (!fs.existsSync(existing) && path.dirname(existing) !== existing)
      existing = path.dirname(existing);
    let err: string | null = null;
    try {
      fs.accessSync(fs.existsSync(f) ? f : existing, fs.constants.W_OK);
    } catch (e) {
      err = (e as NodeJS.ErrnoException).code ?? 'not writable';
    }
    out.push(
      err
        ? check(
            'store',
            'store writable',
            'fail',
            `${path.resolve(f)}: ${fs.existsSync(f) ? f : existing} is not writable (${err})`,
            ['store'],
            'the unit keeps state in /var/lib/hostops (StateDirectory=hostops, WorkingDirectory): use relative store paths or paths under it',
          )
        : check(
            'store',
            'store writable',
            'ok',
            `${path.resolve(f)}${fs.existsSync(f) ? '' : ' (will be created)'}`,
            [],
          ),
    );
  }
  if (cfg.store.kind === 'postgres' && cfg.store.url) {
    const shown = redactUrl(cfg.store.url);
    try {
      const { default: postgres } = await import('postgres');
      const sql = postgres(cfg.store.url, { max: 1, connect_timeout: 5, onnotice: () => {} });
      let held: { site: string; until: number }[] | null = null;
      try {
        await sql`select 1`;
        // a fleet (migration 10): inventory sites that have not declared their retention keep
        // every site's old days on disk until they do or their grace ends
        const has = await sql.unsafe(
          `SELECT to_regprocedure('hostops_retention_holdouts(text, double precision)') IS NOT NULL AS yes`,
        );
        if (has[0]?.yes)
          held = (
            await sql.unsafe('SELECT site, until FROM hostops_retention_holdouts($1, $2)', [
              'raw',
              Date.now() / 1000,
            ])
          ).map((r) => ({ site: r.site as string, until: Number(r.until) }));
      } finally {
        await sql.end({ timeout: 1 });
      }
      out.push(check('postgres', 'PostgreSQL reachable', 'ok', shown, []));
      if (held)
        out.push(
          check(
            'retention',
            'fleet raw retention not held back',
            held.length ? 'warn' : 'ok',
            held.length
              ? `held back by ${held.map((h) => `${h.site} (has not declared; until ${new Date(h.until * 1000).toISOString()})`).join(', ')}`
              : 'every inventory site has declared, or its grace has ended',
            ['prune'],
            'start the agents of those sites, remove sites that will never run one, or set `hostops fleet retention --raw`',
          ),
        );
    } catch (e) {
      out.push(
        check(
          'postgres',
          'PostgreSQL reachable',
          'fail',
          `${shown}: ${(e as Error).message}`,
          ['store'],
          'check store.url (host, port, user, database), pg_hba.conf for this host, and that the server listens there; until then the agent spools to store.spool.path',
        ),
      );
    }
  }
  return out;
}

/** Clock sync from chrony, then systemd-timesyncd (timedatectl); adjtimex's status as the last word. */
function clockCheck(): Check {
  const fix =
    'run an NTP client (chrony: `apt-get install chrony`); RTTs are unaffected, but times across sites disagree';
  const why: string[] = [];
  const chrony = run('chronyc', ['-n', 'tracking'], 3000);
  if (!chrony) why.push(`chronyc: ${lastError}`);
  if (chrony && /Leap status\s*:/.test(chrony)) {
    const leap = /Leap status\s*:\s*(.+)/.exec(chrony)![1].trim();
    const off = /System time\s*:\s*(.+)/.exec(chrony)?.[1].trim();
    return leap === 'Normal'
      ? check('clock', 'clock sync', 'ok', `chrony: synchronised (${off ?? 'offset unknown'})`, [])
      : check('clock', 'clock sync', 'warn', `chrony: leap status ${leap}`, [], fix);
  }
  const td = run('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], 3000);
  if (!td) why.push(`timedatectl: ${lastError}`);
  if (td && /^(yes|no)$/.test(td.trim())) {
    return td.trim() === 'yes'
      ? check('clock', 'clock sync', 'ok', 'timedatectl: NTPSynchronized=yes', [])
      : check('clock', 'clock sync', 'warn', 'timedatectl: NTPSynchronized=no', [], fix);
  }
  const adj = run('adjtimex', ['--print'], 3000);
  if (!adj) why.push(`adjtimex: ${lastError}`);
  if (adj) {
    const status = Number(/status:\s*(\d+)/.exec(adj)?.[1] ?? NaN);
    // STA_UNSYNC (0x40) set means the kernel clock is not disciplined
    return !Number.isNaN(status) && !(status & 0x40)
      ? check('clock', 'clock sync', 'ok', `adjtimex: status ${status} (synchronised)`, [])
      : check('clock', 'clock sync', 'warn', `adjtimex: status ${status} (STA_UNSYNC)`, [], fix);
  }
  return check(
    'clock',
    'clock sync',
    'warn',
    `synchronisation unknown (${why.join('; ')})`,
    [],
    fix,
  );
}

export async function diagnose(cfg: ResolvedConfig, file: string | null): Promise<Report> {
  const native = nativeCheck();
  const checks: Check[] = [
    native,
    await icmpCheck(addonLoads('hostops_probe')),
    capsCheck(cfg),
    ...(await eximChecks(cfg)),
    ...(await portChecks(cfg)),
    ...(await storeCheck(cfg)),
    clockCheck(),
  ];
  const blocked = [...new Set(checks.filter((c) => c.status === 'fail').flatMap((c) => c.jobs))];
  const names = groupNames();
  return {
    ok: checks.every((c) => c.status !== 'fail'),
    config: file,
    user: {
      uid: process.getuid?.() ?? -1,
      gid: process.getegid?.() ?? -1,
      groups: myGroups().map((g) => names.get(g) ?? String(g)),
    },
    checks,
    blocked,
  };
}
