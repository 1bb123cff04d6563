/**
 * Every error code hostops raises, declared once (the style of Node's internal `E()` table):
 * exit code, one line of meaning for docs/errors.md, the default hint, and the message template
 * `HostopsError.of(code, ...args)` fills in. `new HostopsError(code, message, opts)` takes the
 * exit code and hint from here when the call site does not give them; a call site still gives
 * its own where the hint names something only it knows.
 *
 * docs/errors.md is generated from this table (scripts/gen-errors-doc.mjs); the test
 * test/lib/errors-registry.test.ts fails when a code is thrown in src/ but not declared here,
 * declared but never raised, or missing from docs/errors.md.
 */
import type { ErrorSpec, ExitCode } from './errors.js';

/** The message is the call site's own text (the code has several shapes, each naming its case). */
const text = (message: string) => message;

function E<M extends (...args: never[]) => string = typeof text>(
  exitCode: ExitCode,
  meaning: string,
  hint?: string,
  message?: M,
) {
  return { exitCode, meaning, hint, message: (message ?? text) as M } satisfies ErrorSpec;
}

const MAILQ_LOG_HINT =
  'pass --log <file> (Debian: /var/log/exim4/mainlog, cPanel: /var/log/exim_mainlog)';

export const CODES = {
  // ---- command line (every command) ----
  BAD_OPTION: E(
    2,
    'an option has a value of the wrong type, out of its range, or not one of its choices',
    undefined,
    (option: string, value: unknown, expected: string) =>
      `${option} must be ${expected}, got ${JSON.stringify(String(value))}`,
  ),
  USAGE_UNKNOWN_OPTION: E(
    2,
    'the command line has an option the command does not know',
    'add --help after the command to list its options',
  ),
  USAGE_UNKNOWN_COMMAND: E(
    2,
    'the command line names a command or subcommand that does not exist',
    'hostops --help lists the commands (hostops GROUP --help the subcommands)',
  ),
  USAGE_MISSING_ARGUMENT: E(
    2,
    'a required argument of the command is missing',
    'add --help after the command to see its arguments',
  ),
  USAGE_MISSING_OPTION_VALUE: E(
    2,
    'an option that takes a value was given without one',
    'add --help after the command to see its options',
  ),
  USAGE_MISSING_OPTION: E(
    2,
    'a mandatory option was not given',
    'add --help after the command to see its options',
  ),
  USAGE_EXCESS_ARGUMENTS: E(
    2,
    'the command got more arguments than it takes',
    'add --help after the command to see its arguments',
  ),
  USAGE_CONFLICTING_OPTIONS: E(
    2,
    'two options that exclude each other were given together',
    'add --help after the command to see its options',
  ),
  USAGE_INVALID_ARGUMENT: E(
    2,
    'an argument or option value was refused by the command line parser',
    'add --help after the command to see its arguments',
  ),
  USAGE_ERROR: E(
    2,
    'any other command line error reported by the parser',
    'add --help after the command to see its usage',
  ),
  INTERNAL_ERROR: E(
    70,
    'a bug in hostops: an internal invariant failed (the message says which)',
    'run again with --debug for a stack trace, and report it',
  ),

  // ---- lib ----
  OUTPUT_WRITE_FAILED: E(
    3,
    'the output (stdout or a file) cannot be written: full disk, closed pipe, file too large',
  ),
  NATIVE_ADDON_MISSING: E(
    3,
    'a native addon (build/Release/*.node) is missing or cannot be loaded',
  ),
  NATIVE_ADDON_STALE: E(
    3,
    'a native addon is older than the JavaScript that loads it (a function is missing)',
    'rebuild the addons: `npx node-gyp rebuild` (or `npm rebuild hostops`)',
  ),
  LISTEN_EADDRINUSE: E(3, 'a server (dashboard, iperf server) cannot listen: the port is in use'),
  LISTEN_EACCES: E(3, 'a server cannot listen: the port needs privileges (below 1024)'),
  LISTEN_EADDRNOTAVAIL: E(3, 'a server cannot listen: the address is not one of this host'),
  PEER_MISSING: E(3, 'a program a job runs (iperf3, mtr, fping, ...) is not installed'),

  // ---- config (hostops.yaml) ----
  CONFIG_SYNTAX: E(2, 'hostops.yaml is not valid YAML', 'fix the YAML syntax at the line shown'),
  CONFIG_INVALID: E(2, 'hostops.yaml has a field of the wrong type or value, or is not a mapping'),
  CONFIG_UNREADABLE: E(2, 'the config file cannot be read'),

  // ---- net (ping, traceroute, mtr) ----
  NET_BAD_FWMARK: E(2, 'a fwmark is not 0..4294967295 or 0x hex'),
  NET_BAD_INTERFACE: E(2, 'not a valid interface name'),
  NET_BAD_SOURCE: E(2, "a source address is not numeric, or not of the target's family"),
  NET_BIND_DEVICE: E(3, 'a socket cannot be bound to the interface'),
  NET_BIND_SOURCE: E(3, 'a probe socket cannot be bound to the source address'),
  NET_FWMARK: E(3, 'the fwmark cannot be set on a socket (SO_MARK needs CAP_NET_ADMIN)'),
  NET_NO_INTERFACE: E(3, 'no interface of that name on this host', 'list them with `ip -br link`'),
  NET_NO_SOURCE: E(
    3,
    'the source address is not an address of this host',
    'list the local addresses with `ip -br addr`',
  ),
  NET_BAD_OPTION: E(2, 'two different source addresses, interfaces or fwmarks were given'),
  NET_BAD_TARGET: E(2, 'a target is neither a valid IP address nor a host name'),
  NET_FAMILY: E(2, 'a target address is not of the family asked for with -4 or -6'),
  NET_UNKNOWN_HOST: E(
    2,
    'a host name does not resolve',
    'check the name, or give a numeric address',
  ),
  NET_PERMISSION: E(3, 'a probe socket needs CAP_NET_RAW or ping_group_range'),
  NET_UNSUPPORTED: E(3, 'the address family or socket kind is not supported by this kernel'),
  NET_SOCKET: E(3, 'a probe socket cannot be opened for another reason (the message gives it)'),
  PING_BAD_OPTION: E(
    2,
    'ping: options that exclude each other, or a choice option with a value it does not take',
  ),
  PING_BAD_GENERATE: E(2, 'ping -g: the CIDR block or address range is invalid or too large'),
  PING_NO_TARGET: E(2, 'ping was given no target', 'hostops ping [options] <targets...>'),
  PING_FILE: E(3, 'ping -f: the file of targets cannot be read', 'one host or address per line'),
  TRACE_BAD_OPTION: E(2, 'traceroute: options that exclude each other, or a -w it cannot parse'),
  MTR_BAD_OPTION: E(2, 'mtr: options that exclude each other, or an unknown field in -o'),

  // ---- probe (http, smtp, dns, tcp) ----
  PROBE_BAD_TARGET: E(2, 'a probe target is not HOST:PORT, or a DNS server is not an address'),
  PROBE_BAD_URL: E(2, 'probe http: the URL does not parse or is not http:/https:'),
  PROBE_BAD_NAME: E(2, 'probe dns: the name cannot be encoded as a DNS query'),
  PROBE_CA_FILE: E(3, 'probe --ca: the CA file cannot be read', 'give a readable PEM file'),
  PROBE_DNS_TIMEOUT: E(1, 'a probe target name took longer to resolve than the timeout'),
  PROBE_RESOLVE: E(1, 'a probe target name does not resolve', 'check the name, or give an address'),

  // ---- ntp ----
  NTP_BAD_HOST: E(2, 'ntp: the server is neither a valid IP address nor a host name'),
  NTP_RESOLVE: E(2, 'ntp: the server name does not resolve'),
  NTP_TIMEOUT: E(1, 'ntp: no reply from the server within the timeout'),
  NTP_AUDIT_READ: E(2, 'ntp audit: a configuration file cannot be read'),

  // ---- amp ----
  AMP_BAD_TARGET: E(2, 'amp scan: a target is not an IPv4 address, CIDR block or address range'),
  AMP_BAD_PROTOCOL: E(2, 'amp scan: an unknown protocol name'),
  AMP_NO_TARGETS: E(2, 'amp scan: no targets, or every target is excluded'),
  AMP_TOO_MANY: E(
    2,
    'amp scan: more addresses than the cap without --force',
    'scan smaller ranges, or pass --force if these really are all your own',
  ),
  AMP_BAD_RATE: E(2, 'amp scan: the probe rate is out of range'),
  AMP_NATIVE: E(
    3,
    'amp scan --engine native: the native scan addon is not available',
    'build it with `npx node-gyp rebuild`, or use --engine dgram',
  ),

  // ---- bcp38 ----
  BCP38_BAD_CIDR: E(2, 'bcp38: a prefix is not a valid IPv4/IPv6 CIDR, or has host bits set'),
  BCP38_BAD_FORMAT: E(2, 'bcp38 rules: an unknown output format'),
  BCP38_BAD_OPTION: E(2, 'bcp38: an option value out of range or of the wrong kind'),
  BCP38_BAD_SOURCE: E(2, 'bcp38 spoof-test: a --source or --other address or label is invalid'),
  BCP38_BAD_TARGET: E(
    2,
    'bcp38 spoof-test: the target is not an IP address or resolvable host name',
  ),
  BCP38_CONFIG_INVALID: E(
    2,
    'bcp38: the config file has a field of the wrong type or value',
    'see docs/bcp38.md for the file format',
  ),
  BCP38_CONFIG_SYNTAX: E(2, 'bcp38: the config file is not valid YAML/JSON'),
  BCP38_CONFIG_UNREADABLE: E(2, 'bcp38: the config file cannot be read'),
  BCP38_CONTROL_BAD: E(
    3,
    'bcp38 spoof-test: the listener answered with something that is not its protocol',
  ),
  BCP38_CONTROL_TIMEOUT: E(3, 'bcp38 spoof-test: the listener did not answer in time'),
  BCP38_CONTROL_UNREACHABLE: E(
    3,
    'bcp38 spoof-test: the listener cannot be reached over TCP',
    'start `hostops bcp38 listen` on the target host and allow TCP and UDP to its port',
  ),
  BCP38_LISTEN_FAILED: E(3, 'bcp38 listen: the port cannot be bound'),
  BCP38_OUTPUT_FAILED: E(2, 'bcp38 rules -o: the output file cannot be written'),
  BCP38_RAW_DENIED: E(
    3,
    'bcp38 spoof-test: a raw socket needs root or CAP_NET_RAW',
    'run as root or give node CAP_NET_RAW',
  ),
  BCP38_RAW_FAILED: E(3, 'bcp38 spoof-test: a raw socket cannot be opened for another reason'),
  BCP38_RAW_SEND: E(3, 'bcp38 spoof-test: sending a spoofed probe failed'),

  // ---- capacity ----
  CAPACITY_BAD_CHART: E(2, 'capacity --chart: the path does not end in .svg or .png'),
  CAPACITY_CHART_FAILED: E(3, 'capacity --chart: the chart file cannot be written'),
  CAPACITY_BAD_CONFIG: E(
    2,
    'capacity: the topology or memory plan has an invalid field, duplicate id, cycle or is too large',
  ),
  CAPACITY_BAD_YAML: E(2, 'capacity: the YAML file does not parse'),
  CAPACITY_BAD_FORMAT: E(2, 'capacity: an unknown input --format'),
  CAPACITY_BAD_INPUT: E(
    2,
    'capacity: an input file is not of the format it claims (Prometheus, sadf, rrdtool, MRTG)',
  ),
  CAPACITY_BAD_OPTION: E(
    2,
    'capacity: options that exclude each other, or a --counter or --chart-tier it does not take',
  ),
  CAPACITY_BAD_UNIT: E(
    2,
    'capacity: a value or series is in a unit that cannot be used where it is',
  ),
  CAPACITY_EMPTY_INPUT: E(2, 'capacity: an input has no usable samples'),
  CAPACITY_NO_CHART: E(2, 'capacity --chart: there is no measured series to chart'),
  CAPACITY_NO_MATCH: E(2, 'capacity: no series matches a customer, VM or --series name'),
  CAPACITY_READ_FAILED: E(2, 'capacity: an input file or directory cannot be read'),
  CAPACITY_SPAN_TOO_LONG: E(
    2,
    'capacity: a series spans more steps than the grid allows',
    'look for a stray timestamp in the data, or give a coarser --step',
  ),

  // ---- ddos ----
  DDOS_BAD_OPTION: E(2, 'ddos analyze: an option value is invalid, or needs --watch'),
  DDOS_BAD_THRESHOLD: E(2, 'ddos analyze: a threshold is not a number >= 0'),
  DDOS_CAPTURE_BAD_BLOCK: E(2, 'ddos analyze: a pcapng block is malformed'),
  DDOS_CAPTURE_BAD_MAGIC: E(2, 'ddos analyze: the input is not a pcap or pcapng capture'),
  DDOS_CAPTURE_BAD_RECORD: E(2, 'ddos analyze: a pcap record is longer than the limit'),
  DDOS_CAPTURE_BAD_VERSION: E(2, 'ddos analyze: an unsupported pcap or pcapng version'),
  DDOS_CAPTURE_EMPTY: E(2, 'ddos analyze: the capture is empty'),
  DDOS_CAPTURE_TRUNCATED: E(2, 'ddos analyze: the capture ends inside its file header'),
  DDOS_CAPTURE_GZIP: E(2, 'ddos analyze: the gzip-compressed capture is damaged'),
  DDOS_CAPTURE_UNREADABLE: E(
    3,
    'ddos analyze: the capture cannot be opened or read (2 when the path is not a file)',
  ),

  // ---- fleet ----
  FLEET_AMBIGUOUS: E(2, 'fleet locate: the name is both a site and a target', 'rename the target'),
  FLEET_BAD_LOCATION: E(2, 'fleet locate: not LAT,LON in degrees', 'e.g. 51.5,-0.12'),
  FLEET_BAD_NEAREST: E(2, 'fleet assign --nearest: not a whole number of sites of at least 1'),
  FLEET_BAD_ADDRESS: E(2, 'fleet: a target has an empty address'),
  FLEET_BAD_NAME: E(
    2,
    'fleet: a site, target or group name has characters a name cannot have',
    'letters, digits, "_", "." and "-", at most 64, starting with a letter or digit',
  ),
  FLEET_DB: E(
    3,
    'fleet: PostgreSQL cannot be reached or refused the connection',
    'check that PostgreSQL runs and the URL, user and password are right',
  ),
  FLEET_FIELD: E(
    2,
    'fleet import: a field of the file is invalid or names an unknown site or target',
  ),
  FLEET_FILE: E(2, 'fleet import: the file cannot be read'),
  FLEET_NAME_TAKEN: E(
    2,
    'fleet: the target name is already used for another address',
    'a target is its address: rename the other one first, or use another name',
  ),
  FLEET_NOT_OWNER: E(
    3,
    'fleet: the database role is not the owner (a site role cannot manage the fleet)',
    'run hostops fleet as the database owner (a site role cannot manage the fleet)',
  ),
  FLEET_NO_DB: E(
    3,
    'fleet: no database URL was given',
    'pass --db postgres://owner@host/db (or set HOSTOPS_FLEET_DB)',
  ),
  FLEET_NO_SITE: E(2, 'fleet: no site of that name'),
  FLEET_NO_TARGET: E(2, 'fleet: no target (or group) of that name'),
  FLEET_ROLE_TAKEN: E(
    2,
    'fleet add-site: the site name maps to a database role another site uses',
    'pick a site name that differs in more than case or punctuation',
  ),
  FLEET_SLA_EMPTY: E(2, 'fleet sla: neither --rtt nor --loss was given'),
  FLEET_SLA_LOSS: E(2, 'fleet sla: --loss is not a bound like "< 1%"', 'e.g. "< 1%"'),
  FLEET_SLA_RTT: E(
    2,
    'fleet sla: --rtt is not a bound like "< 80 ms"',
    'e.g. "< 80 ms" or "<= 0.1 s"',
  ),
  FLEET_SLA_SCOPE: E(2, 'fleet sla: both a target and a group were given'),
  FLEET_YAML: E(2, 'fleet import: the file is not valid YAML'),

  // ---- iperf ----
  IPERF_USAGE: E(2, 'iperf: neither or both of -s and -c were given'),
  IPERF_BAD_OPTION: E(2, 'iperf: an option value is invalid or options exclude each other'),
  IPERF_BAD_HOST: E(2, 'iperf -c: the host is not a host name or IP address'),
  IPERF_BAD_PARAM: E(
    1,
    "iperf server: the client sent a test parameter out of range (answered with iperf3's i_errno)",
  ),
  IPERF_AFFINITY: E(
    3,
    'iperf -A: the CPU affinity cannot be set',
    'name a core listed in /proc/self/status (Cpus_allowed_list); taskset comes with util-linux',
  ),
  IPERF_TOS: E(
    3,
    'iperf --dscp/-S: the TOS or IPv6 traffic class cannot be set on a data socket, or the kernel set another value',
  ),
  IPERF_NATIVE: E(
    3,
    'iperf -w/-C: the native socket addon is not available',
    'run `npm install` (it builds the addon with node-gyp)',
  ),
  IPERF_CONGESTION: E(
    3,
    'iperf -C: the congestion control algorithm is unknown, not allowed or cannot be set',
  ),
  IPERF_WINDOW: E(3, 'iperf -w: the socket buffer size cannot be set as asked'),
  IPERF_SOCKET: E(3, 'iperf: a data socket has no file descriptor (closed)'),
  IPERF_AUTH_CREDENTIALS: E(
    2,
    'iperf --username: the user name or password cannot be sent (too long for the key, or not parseable by iperf3)',
  ),
  IPERF_AUTH_KEY: E(2, 'iperf: an RSA key file cannot be read or is not a usable PEM key'),
  IPERF_AUTH_PASSWORD: E(
    2,
    'iperf --username: no password (IPERF3_PASSWORD unset and no terminal to ask on)',
  ),
  IPERF_AUTH_REFUSED: E(1, 'iperf -c: the server refused the test authorization'),
  IPERF_AUTH_USERS: E(2, 'iperf -s: the authorized users file cannot be read'),
  IPERF_CONNECT: E(1, 'iperf -c: the control connection to the server failed'),
  IPERF_STREAM_CONNECT: E(1, 'iperf -c: a data stream connection failed'),
  IPERF_ABORTED: E(1, 'iperf -c: the test was aborted (Ctrl-C or the caller)'),
  IPERF_IDLE: E(1, 'iperf -c: no data was received within the idle timeout'),
  IPERF_CONTROL: E(1, 'iperf: the control connection failed for a reason without its own code'),
  IPERF_CONTROL_CLOSED: E(
    1,
    'iperf: the peer closed the control connection in the middle of a test',
  ),
  IPERF_CONTROL_ERROR: E(1, 'iperf: the control connection had a socket error'),
  IPERF_CONTROL_TIMEOUT: E(1, 'iperf: the peer did not send an expected control message in time'),
  IPERF_JSON_TOO_LONG: E(1, 'iperf: the peer announced a JSON message above the length limit'),
  IPERF_JSON_INVALID: E(
    1,
    'iperf: the peer sent a JSON message that does not parse or is not an object',
  ),
  IPERF_RESULTS: E(1, 'iperf -c: the results exchange failed'),
  IPERF_STREAM_ID: E(1, "iperf -c: the server's results name a stream the client does not have"),
  IPERF_BUSY: E(1, 'iperf -c: the server is running another test'),
  IPERF_SERVER_ERROR: E(1, 'iperf -c: the server reported an error (iperf3 i_errno)'),
  IPERF_SERVER_TERMINATED: E(1, 'iperf -c: the server terminated the test'),
  IPERF_BAD_MESSAGE: E(1, 'iperf -c: the server sent an unknown control message'),
  IPERF2_CONNECT: E(1, 'iperf --iperf2: the connection to the iperf 2 server failed'),

  // ---- mailq ----
  MAILQ_BAD_EXPRESSION: E(
    2,
    'mailq exipick criterion: the expression or its regex literal cannot be used',
  ),
  MAILQ_BAD_QUEUE: E(
    2,
    'mailq -G: not a queue name',
    'a named queue is a directory under the spool: no /, not . or .., not starting with -',
  ),
  MAILQ_NO_QUEUE: E(3, 'mailq -G: no named queue of that name in the spool'),
  MAILQ_AUDIT_UNWRITABLE: E(
    3,
    'mailq: the audit log cannot be written',
    'pass --audit-log <file> or set HOSTOPS_AUDIT_LOG to a writable path',
  ),
  MAILQ_BAD_DEFINE: E(
    2,
    'mailq -D: not a NAME=value macro definition',
    'use NAME=value (the name starts with an upper-case letter)',
  ),
  MAILQ_BAD_DURATION: E(
    2,
    'mailq: a value is not a duration',
    'use seconds or a number with s, m, h, d or w (e.g. 2h)',
  ),
  MAILQ_BAD_ID: E(
    2,
    'mailq: not an Exim message id',
    'ids look like 1xVwEz-0001TA-2J (16 characters) or 1xVwTs-000000002b4-1DYh (23 characters)',
  ),
  MAILQ_BAD_REGEX: E(2, 'mailq: a selection regular expression does not compile'),
  MAILQ_BAD_SELECTION: E(
    2,
    'mailq: selection flags that exclude each other, or ids and a selection together',
  ),
  MAILQ_BAD_SIZE: E(
    2,
    'mailq: a value is not a size',
    'use bytes or a number with K, M or G (e.g. 500K)',
  ),
  MAILQ_BAD_TIME: E(
    2,
    'mailq: a value is not a time',
    'use 2026-11-24, "2026-11-24 18:00" or a duration such as 6h (ago)',
  ),
  MAILQ_LOG_UNREADABLE: E(
    3,
    'mailq: the Exim mainlog cannot be read',
    'run as root or as a member of the adm group, or pass --log',
  ),
  MAILQ_NO_EXIM: E(
    3,
    'mailq: the exim binary was not found',
    'pass --exim <path> or set HOSTOPS_EXIM',
  ),
  MAILQ_NO_LOG: E(3, 'mailq: no Exim mainlog at the path (nor rotated copies)', MAILQ_LOG_HINT),
  MAILQ_NO_MESSAGE: E(1, 'mailq show: the message is not on the queue'),
  MAILQ_NO_SELECTION: E(
    2,
    'mailq: an action was given neither ids nor a selection',
    'give message ids, selection flags (see --help), or --all',
  ),
  MAILQ_NO_SPOOL: E(
    3,
    'mailq: no Exim spool (input/) at the path',
    'pass --spool <dir> (Debian: /var/spool/exim4, cPanel: /var/spool/exim)',
  ),
  MAILQ_OUT_OF_MEMORY: E(3, 'mailq: the native spool or mainlog reader ran out of memory'),
  MAILQ_SPOOL_FORMAT: E(
    2,
    "mailq: a spool -H file does not follow Exim's format (listed as a format error, never thrown to the user)",
  ),
  MAILQ_SPOOL_NOT_DIR: E(
    2,
    'mailq: the spool path is not a directory',
    'pass --spool <dir>, the directory holding input/ (Debian: /var/spool/exim4, cPanel: /var/spool/exim)',
  ),
  MAILQ_SPOOL_UNREADABLE: E(
    3,
    'mailq: the spool directory cannot be read',
    'run as root or as the exim user, or pass --spool',
  ),

  // ---- serve and store ----
  SERVE_BAD_LISTEN: E(2, 'serve --listen: not host:port'),
  SERVE_BAD_SITE: E(
    2,
    'serve --site: not a valid site name',
    'a site name is what the overview and the site label show, e.g. --site fra1',
  ),
  SERVE_TOKEN_REQUIRED: E(
    2,
    'serve: a non-loopback listen address without a token',
    'set listen.token in hostops.yaml (or HOSTOPS_TOKEN) to at least 16 random characters, or bind 127.0.0.1',
  ),
  SERVE_TOKEN_WEAK: E(
    2,
    'serve: the token is shorter than 16 characters',
    'use at least 16 random characters (e.g. openssl rand -hex 16)',
  ),
  SERVE_DUPLICATE_JOB: E(
    2,
    'serve: two jobs of the config have the same name',
    'give each iperf.peers entry in hostops.yaml a name of its own',
  ),
  STORE_PG_TLS: E(
    3,
    'PostgreSQL TLS: the server certificate is not trusted, or the server refused the TLS login',
  ),
  STORE_PG_TLS_FILE: E(
    2,
    'PostgreSQL TLS: a sslrootcert/sslcert/sslkey file in the store URL cannot be read',
    'the parameter in the store URL must name a readable PEM file',
  ),
  STORE_PG_TLS_MODE: E(2, 'PostgreSQL TLS: sslmode in the store URL is not a libpq mode'),
  STORE_ROLLUP_BUSY: E(
    3,
    "PostgreSQL: a site's rollup pass was skipped because another connection is rolling the site up",
    'the next pass retries; if it persists, look for a second agent with the same site, or a pass still running, in pg_stat_activity',
  ),
  STORE_OPEN: E(
    3,
    'the SQLite database cannot be opened',
    'give --db (store.path) a SQLite database file, or a new file name, in a writable directory',
  ),
} as const;

export type ErrorCode = keyof typeof CODES;
