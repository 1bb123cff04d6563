/**
 * `hostops iperf`'s option table: iperf3's flags with iperf3's units (seconds for -t -i -O,
 * K/M/G as iperf3 reads them: 1024 powers for sizes, 1000 for bit rates), then hostops' server
 * limits and iperf3's authentication flags.
 */
import { usageError } from '../lib/errors.js';
import { parseSize } from '../iperf/units.js';
import type { OptionSpec, OptionTable } from './options/index.js';
import { cNumber } from './iperf-client-flags.js';

const iperf3 = (flag: string, extra = '') => `iperf3 ${flag}${extra}`;
const sizeOf = (kind: 'bytes' | 'rate') => (v: string) => {
  const n = parseSize(v, kind);
  return Number.isFinite(n) ? n : undefined;
};
const SIZE = { min: 0, expected: 'a size like 128K, 10M or 1G' };

const num = (
  flags: string,
  name: string,
  min: number,
  max: number,
  help: string,
  extra: Partial<OptionSpec> = {},
): OptionSpec => ({ flags, type: 'number', min, max, name, help, copies: iperf3(name), ...extra });
const flag = (flags: string, help: string, copies = true): OptionSpec => ({
  flags,
  type: 'bool',
  help,
  copies: copies ? iperf3(flags.split(',')[0]) : undefined,
});
const text = (flags: string, help: string, copies?: string): OptionSpec => ({
  flags,
  type: 'string',
  help,
  copies,
});

export const IPERF_OPTIONS: OptionTable = {
  server: flag('-s, --server', 'run as server'),
  client: text('-c, --client <host>', 'run as client, connecting to host', iperf3('-c')),
  // a client needs a port 1..65535, a server may take 0 (any): read once the role is known
  port: num('-p, --port <n>', '-p', 0, 65535, 'server port', {
    lazy: true,
    defaultText: '5201, iperf2 5001',
  }),
  time: num('-t, --time <s>', '-t', 0, 86400, 'seconds to transmit', {
    defaultText: '10',
    copies: iperf3('-t', ' (seconds)'),
  }),
  bytes: num('-n, --bytes <n>', '-n', 0, Infinity, 'bytes to transmit instead of -t', {
    type: 'size',
    read: sizeOf('bytes'),
    ...SIZE,
    max: undefined,
    copies: iperf3('-n', ' (K/M/G are 1024 powers)'),
  }),
  blockcount: num(
    '-k, --blockcount <n>',
    '-k',
    0,
    Number.MAX_SAFE_INTEGER,
    'blocks (-l) to transmit instead of -t',
  ),
  parallel: num('-P, --parallel <n>', '-P', 1, 128, 'parallel streams'),
  reverse: flag('-R, --reverse', 'server sends, client receives'),
  bidir: flag('--bidir', 'both directions at once'),
  udp: flag('-u, --udp', 'UDP instead of TCP'),
  bitrate: num('-b, --bitrate <rate>', '-b', 0, Infinity, 'target bit/s per stream', {
    type: 'rate',
    read: sizeOf('rate'),
    ...SIZE,
    max: undefined,
    defaultText: 'UDP 1M, TCP unlimited',
    copies: iperf3('-b', ' (K/M/G are 1000 powers)'),
  }),
  length: num('-l, --length <n>', '-l', 0, Infinity, 'block size', {
    type: 'size',
    read: sizeOf('bytes'),
    ...SIZE,
    max: undefined,
    defaultText: "TCP 128K; UDP the control connection's MSS, else 1460",
  }),
  window: num(
    '-w, --window <n>',
    '-w',
    0,
    Infinity,
    "socket buffer size (SO_SNDBUF/SO_RCVBUF) on both ends' data sockets",
    { type: 'size', read: sizeOf('bytes'), ...SIZE, max: undefined },
  ),
  omit: num('-O, --omit <s>', '-O', 0, 600, 'omit the first s seconds from the results', {
    copies: iperf3('-O', ' (seconds)'),
  }),
  interval: num('-i, --interval <s>', '-i', 0, 60, 'seconds between interval reports (0 = none)', {
    copies: iperf3('-i', ' (seconds)'),
  }),
  getServerOutput: flag('--get-server-output', "append the server's report"),
  congestion: text(
    '-C, --congestion <algo>',
    'TCP congestion control algorithm (see /proc/sys/net/ipv4/tcp_available_congestion_control)',
    iperf3('-C'),
  ),
  udpCounters64bit: flag('--udp-counters-64bit', '64-bit UDP sequence numbers'),
  version4: flag('-4, --version4', 'IPv4 only'),
  version6: flag('-6, --version6', 'IPv6 only'),
  bind: text(
    '-B, --bind <host>',
    'server: address to listen on; client: local address of all its connections',
    iperf3('-B'),
  ),
  format: {
    flags: '-f, --format <f>',
    type: 'enum',
    choices: ['k', 'm', 'g', 't', 'K', 'M', 'G', 'T'],
    help: 'bitrate unit: k m g t (bits) or K M G T (bytes), as iperf3',
    copies: iperf3('-f'),
    error: (v) =>
      usageError(
        'IPERF_BAD_OPTION',
        `bad format specifier "${v}" for -f (k m g t for bits, K M G T for bytes)`,
      ),
  },
  bindDev: text(
    '--bind-dev <iface>',
    'client: send through this interface (SO_BINDTODEVICE), as iperf3 --bind-dev',
    iperf3('--bind-dev'),
  ),
  fwmark: text(
    '--fwmark <n>',
    'client: fwmark on every connection (SO_MARK; selects a feed with `ip rule fwmark`)',
  ),
  cport: {
    flags: '--cport <port>',
    type: 'int',
    min: 1,
    max: 65535,
    help: 'client: local port of the first data stream (stream i: port + i)',
    copies: iperf3('--cport'),
  },
  dscp: text(
    '--dscp <v>',
    'client: DSCP value (0-63) or name (ef, af11..af43, cs0..cs7, le)',
    iperf3('--dscp'),
  ),
  tos: {
    flags: '-S, --tos <n>',
    type: 'int',
    min: 0,
    max: 255,
    name: '-S',
    read: (v) => cNumber(v),
    help: 'client: IP type of service byte (decimal, 0x hex or 0 octal)',
    copies: iperf3('-S'),
  },
  zerocopy: flag(
    '-Z, --zerocopy',
    'accepted for iperf3 compatibility; data is sent with ordinary writes',
  ),
  affinity: text(
    '-A, --affinity <n>',
    'client: pin this process to CPU core n (sched_setaffinity via taskset)',
    iperf3('-A'),
  ),
  oneOff: flag('-1, --one-off', 'server: handle one test, then exit'),
  title: text('-T, --title <text>', 'client: title sent with the parameters', iperf3('-T')),
  maxDuration: num(
    '--max-duration <s>',
    '--max-duration',
    1,
    86400,
    'server: longest test accepted',
    {
      defaultText: '3600',
      copies: undefined,
    },
  ),
  serverBitrateLimit: num(
    '--server-bitrate-limit <rate>',
    '--server-bitrate-limit',
    0,
    Infinity,
    'server: refuse tests asking for more than this total bit/s (unlimited tests too)',
    { type: 'rate', read: sizeOf('rate'), ...SIZE, max: undefined },
  ),
  controlTimeout: num(
    '--control-timeout <s>',
    '--control-timeout',
    0.1,
    600,
    'server: deadline for each control message during setup, in seconds',
    { defaultText: '10', copies: undefined },
  ),
  idleTimeout: num(
    '--idle-timeout <s>',
    '--idle-timeout',
    1,
    3600,
    'server: end a test whose streams move nothing for s seconds',
    { defaultText: '30', copies: undefined },
  ),
  rsaPrivateKeyPath: text(
    '--rsa-private-key-path <file>',
    "server: RSA private key (PEM) that decrypts the clients' credentials",
    iperf3('--rsa-private-key-path'),
  ),
  authorizedUsersPath: text(
    '--authorized-users-path <file>',
    'server: authorized users, one "user,sha256(\'{user}password\')" line each; # comments',
    iperf3('--authorized-users-path'),
  ),
  timeSkewThreshold: {
    flags: '--time-skew-threshold <s>',
    type: 'int',
    min: 1,
    max: 86400,
    read: (v) => (/^\d+$/.test(v) ? Number(v) : undefined),
    defaultText: '10',
    help: 'server: refuse credentials whose timestamp is more than s seconds off',
    copies: iperf3('--time-skew-threshold', ' (seconds)'),
    error: (v) =>
      usageError(
        'IPERF_BAD_OPTION',
        `--time-skew-threshold must be a whole number of seconds from 1 to 86400, got "${v}"`,
      ),
  },
  username: text(
    '--username <name>',
    'client: user name for authentication (password in IPERF3_PASSWORD, else asked on the terminal)',
    iperf3('--username'),
  ),
  rsaPublicKeyPath: text(
    '--rsa-public-key-path <file>',
    "client: the server's RSA public key (PEM) to encrypt the credentials",
    iperf3('--rsa-public-key-path'),
  ),
  J: flag('-J', 'JSON output in the iperf3 -J schema'),
  json: flag('--json', 'same as -J', false),
  iperf2: flag('--iperf2', 'speak the iperf 2 protocol (port 5001) instead of iperf3', false),
};
