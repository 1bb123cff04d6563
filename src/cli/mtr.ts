/**
 * `hostops mtr`: mtr 0.95's report layouts (--report, --report-wide, --json, --csv) and a
 * full-screen live view (keys h d r o p n j q). Advice in plain words goes to stderr after a
 * report so stdout stays what mtr prints.
 */
import {
  fwmark,
  ifaceName,
  mergeBind,
  requireInterface,
  sourceAddr,
  type SocketBind,
} from '../net/bind.js';
import os from 'node:os';
import readline from 'node:readline';
import type { Command } from 'commander';
import { usageError } from '../lib/errors.js';
import { applyOptions, type OptionSpec, type OptionTable } from './options/index.js';
import { MtrSession, type MtrOptions } from '../net/mtr.js';
import { resolveTarget, reverseName } from '../net/resolve.js';
import {
  DEFAULT_ORDER,
  JITTER_ORDER,
  reportCsv,
  reportJson,
  reportText,
  reportXml,
  validOrder,
} from '../net/format/mtr.js';
import { renderScreen, type ScreenState } from '../net/format/mtr-screen.js';

interface MtrFlags {
  report?: boolean;
  reportWide?: boolean;
  reportCycles?: number;
  json?: boolean;
  csv?: boolean;
  xml?: boolean;
  dns?: boolean;
  udp?: boolean;
  tcp?: boolean;
  port?: number;
  interval?: number;
  maxTtl?: number;
  firstTtl?: number;
  psize?: number;
  tos?: number;
  order?: string;
  ipv4?: boolean;
  ipv6?: boolean;
  timeout?: number;
  advice?: boolean;
  showIps?: boolean;
  aslookup?: boolean;
  mpls?: boolean;
  address?: string;
  interface?: string;
  mark?: string;
}

const num = (
  flags: string,
  name: string,
  min: number,
  max: number,
  help: string,
  extra: Partial<OptionSpec> = {},
): OptionSpec => ({
  flags,
  type: 'int',
  min,
  max,
  name,
  copies: `mtr ${name}`,
  help,
  ...extra,
});
const flag = (flags: string, help: string): OptionSpec => ({
  flags,
  type: 'bool',
  copies: `mtr ${flags.split(',')[0]}`,
  help,
});

/** mtr 0.95's flags and units (-i and -Z in seconds). */
const MTR_OPTIONS: OptionTable = {
  report: flag('-r, --report', 'report mode: run the cycles, print the table'),
  reportWide: flag('-w, --report-wide', 'report with the full host names'),
  reportCycles: num('-c, --report-cycles <n>', '-c', 1, 1e6, 'rounds of probes', {
    defaultText: '10',
  }),
  json: flag('-j, --json', 'report as JSON (mtr 0.95 layout)'),
  csv: flag('-C, --csv', 'report as CSV (mtr 0.95 layout)'),
  xml: flag('-x, --xml', 'report as XML (mtr 0.95 layout)'),
  dns: flag('-n, --no-dns', 'numeric addresses only'),
  showIps: flag('-b, --show-ips', 'names and addresses: "name (address)" in the text report'),
  mpls: flag(
    '-e, --mpls',
    'MPLS label stacks routers quote in ICMP extensions (RFC 4884/4950), under each hop of the report',
  ),
  aslookup: flag(
    '-z, --aslookup',
    'AS column in the text report; always AS??? (hostops makes no AS queries off the host)',
  ),
  udp: flag('-u, --udp', 'UDP probes'),
  tcp: flag('-T, --tcp', 'TCP SYN probes'),
  port: num('-P, --port <n>', '-P', 1, 65535, 'destination port for UDP/TCP'),
  interval: num('-i, --interval <s>', '-i', 0.01, 3600, 'seconds between rounds', {
    type: 'number',
    defaultText: '1',
    copies: 'mtr -i (seconds)',
  }),
  maxTtl: num('-m, --max-ttl <n>', '-m', 1, 255, 'max hops', { defaultText: '30' }),
  firstTtl: num('-f, --first-ttl <n>', '-f', 1, 255, 'first hop (clamped to -m)', {
    defaultText: '1',
  }),
  psize: num('-s, --psize <bytes>', '-s', 36, 9000, 'packet size', { defaultText: '64' }),
  tos: num('-Q, --tos <n>', '-Q', 0, 255, 'type of service'),
  order: {
    flags: '-o, --order <fields>',
    type: 'string',
    defaultText: `"${DEFAULT_ORDER}"`,
    copies: 'mtr -o',
    help: 'columns',
  },
  timeout: num('-Z, --timeout <s>', '-Z', 0.01, 60, 'seconds before a probe counts as lost', {
    type: 'number',
    copies: 'mtr -Z (seconds)',
  }),
  address: {
    flags: '-a, --address <addr>',
    type: 'string',
    copies: 'mtr -a',
    help: 'source address of the probes',
  },
  interface: {
    flags: '-I, --interface <iface>',
    type: 'string',
    copies: 'mtr -I',
    help: 'send from this interface (SO_BINDTODEVICE)',
  },
  mark: {
    flags: '-M, --mark <n>',
    type: 'string',
    copies: 'mtr -M',
    help: 'fwmark on the probes (SO_MARK; selects a feed with `ip rule fwmark`)',
  },
  fwmark: { flags: '--fwmark <n>', type: 'string', help: 'the same as -M' },
  ipv4: flag('-4, --ipv4', 'IPv4'),
  ipv6: flag('-6, --ipv6', 'IPv6'),
  advice: { flags: '--no-advice', type: 'bool', help: 'do not print the plain-words reading' },
};

export function register(program: Command): void {
  const mtr = program
    .command('mtr')
    .description(
      'traceroute and ping combined: live per-hop loss and latency, or a report like mtr',
    )
    .argument('<host>', 'destination');
  applyOptions(mtr, MTR_OPTIONS).action(async (host: string, f: MtrFlags) => {
    process.exitCode = await mtrCommand(host, f);
  });
}

async function mtrCommand(host: string, f: MtrFlags): Promise<number> {
  const protocol = f.udp ? 'udp' : f.tcp ? 'tcp' : 'icmp';
  if (f.udp && f.tcp) throw usageError('MTR_BAD_OPTION', 'choose one of -u and -T');
  const family = f.ipv4 ? 4 : f.ipv6 ? 6 : undefined;
  const order = f.order ?? DEFAULT_ORDER;
  if (!validOrder(order))
    throw usageError(
      'MTR_BAD_OPTION',
      `unknown field in -o '${order}' (fields: L D R S N B A W V G J M X I and space)`,
    );
  const intervalS = f.interval ?? 1;
  const maxHops = f.maxTtl;
  // mtr clamps a first TTL above the max TTL to it (-f 5 -m 3 probes hop 3); unclamped we probed nothing
  const firstHop = Math.min(f.firstTtl ?? 1, maxHops ?? 30);
  const opts: MtrOptions = {
    protocol,
    family,
    intervalMs: intervalS * 1000,
    maxHops,
    firstHop,
    packetSize: f.psize,
    port: f.port,
    tos: f.tos,
    timeoutMs: f.timeout !== undefined ? f.timeout * 1000 : undefined,
    bind: mtrBind(f),
  };
  const r = await resolveTarget(host, family);
  const numeric = f.dns === false;
  const names = new Map<string, string>();
  const name = numeric ? undefined : (ip: string) => names.get(ip) ?? ip;
  const lookupAll = async (hosts: string[]) => {
    if (!numeric) for (const h of hosts) if (!names.has(h)) names.set(h, await reverseName(h));
  };
  const localHost = os.hostname(); // mtr prints gethostname() as is
  const reportMode =
    f.report ||
    f.reportWide ||
    f.json ||
    f.csv ||
    f.xml ||
    !process.stdout.isTTY ||
    !process.stdin.isTTY;
  const ac = new AbortController();
  const onSig = () => ac.abort();
  process.once('SIGINT', onSig);
  try {
    if (reportMode) {
      const cycles = f.reportCycles ?? 10;
      const s = new MtrSession(r, { ...opts, cycles, signal: ac.signal });
      const rep = await s.run();
      await lookupAll(rep.hops.flatMap((h) => h.hosts));
      const out = f.json
        ? reportJson(rep, { localHost, order, name })
        : f.csv
          ? reportCsv(rep, { order, name })
          : f.xml
            ? reportXml(rep, { localHost, order, name })
            : reportText(rep, {
                localHost,
                wide: !!f.reportWide,
                order,
                name,
                showIps: f.showIps,
                asLookup: f.aslookup,
                mpls: f.mpls,
              });
      process.stdout.write(out + '\n');
      if (f.advice !== false && rep.advice.length)
        process.stderr.write(rep.advice.map((a) => `advice: ${a}`).join('\n') + '\n');
      return 0;
    }
    return await tui(r, opts, { localHost, order, numeric, name, lookupAll, signal: ac.signal });
  } finally {
    process.off('SIGINT', onSig);
  }
}

async function tui(
  r: Awaited<ReturnType<typeof resolveTarget>>,
  opts: MtrOptions,
  o: {
    localHost: string;
    order: string;
    numeric: boolean;
    name?: (ip: string) => string | undefined;
    lookupAll: (h: string[]) => Promise<void>;
    signal: AbortSignal;
  },
): Promise<number> {
  const out = process.stdout;
  const st: ScreenState = {
    mode: 0,
    order: o.order,
    paused: false,
    help: false,
    numeric: o.numeric,
    localHost: o.localHost,
    cols: out.columns || 80,
    rows: out.rows || 24,
    name: o.name,
  };
  let dirty = true;
  const session = new MtrSession(r, { ...opts, cycles: 0, signal: o.signal }, () => {
    dirty = true;
  });
  const draw = () => {
    const rep = session.report();
    void o.lookupAll(rep.hops.flatMap((h) => h.hosts));
    st.cols = out.columns || 80;
    st.rows = out.rows || 24;
    out.write('\x1b[H\x1b[2J' + renderScreen(rep, st));
    dirty = false;
  };
  out.write('\x1b[?1049h\x1b[?25l'); // alternate screen, hide cursor
  readline.emitKeypressEvents(process.stdin);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  let orderInput: string | null = null;
  const done = session.run();
  const redraw = setInterval(() => {
    if (dirty) draw();
  }, 200);
  const onKey = (str: string, key: { name?: string; ctrl?: boolean }) => {
    if (orderInput !== null) {
      if (key.name === 'return') {
        if (validOrder(orderInput) && orderInput) st.order = orderInput;
        orderInput = null;
      } else if (key.name === 'escape') orderInput = null;
      else if (key.name === 'backspace') orderInput = orderInput.slice(0, -1);
      else if (str && str.length === 1) orderInput += str;
      out.write(`\x1b[${st.rows};1H\x1b[2KFields: ${orderInput ?? ''}`);
      if (orderInput === null) draw();
      return;
    }
    if (st.help) {
      st.help = false;
      draw();
      return;
    }
    if ((key.ctrl && key.name === 'c') || str === 'q') {
      session.stop();
      return;
    }
    switch (str) {
      case 'h':
      case '?':
        st.help = true;
        break;
      case 'd':
        st.mode = (st.mode + 1) % 3;
        break;
      case 'r':
        session.resetStats();
        break;
      case 'o':
        orderInput = '';
        out.write(`\x1b[${st.rows};1H\x1b[2KFields: `);
        return;
      case 'j':
        st.order = st.order === JITTER_ORDER ? DEFAULT_ORDER : JITTER_ORDER;
        break;
      case 'p':
        st.paused = true;
        session.pause(true);
        break;
      case ' ':
        st.paused = false;
        session.pause(false);
        break;
      case 'n':
        st.numeric = !st.numeric;
        break;
      default:
        return;
    }
    draw();
  };
  process.stdin.on('keypress', onKey);
  draw();
  try {
    await done;
  } finally {
    clearInterval(redraw);
    process.stdin.off('keypress', onKey);
    process.stdin.setRawMode(false);
    process.stdin.pause();
    out.write('\x1b[?25h\x1b[?1049l');
  }
  // like mtr, leave the last table on the normal screen
  const rep = session.report();
  out.write(
    reportText(rep, {
      localHost: o.localHost,
      wide: false,
      order: st.order,
      name: st.numeric ? undefined : o.name,
    }) + '\n',
  );
  return 0;
}

/** mtr's -a (source), -I (interface), -M/--mark (fwmark); --fwmark as the other tools spell it. */
function mtrBind(f: MtrFlags & { fwmark?: string }): SocketBind | undefined {
  if (f.mark !== undefined && f.fwmark !== undefined && f.mark !== f.fwmark)
    throw usageError('MTR_BAD_OPTION', 'give the fwmark once (-M or --fwmark)');
  const mark = f.mark ?? f.fwmark;
  return requireInterface(
    mergeBind(
      f.address !== undefined ? { source: sourceAddr(f.address, '-a') } : undefined,
      f.interface !== undefined ? { device: ifaceName(f.interface, '-I') } : undefined,
      mark !== undefined
        ? { mark: fwmark(mark, f.mark !== undefined ? '-M' : '--fwmark') }
        : undefined,
    ),
  );
}
