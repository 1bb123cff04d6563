/**
 * DNS probe (blackbox_exporter's dns prober, SmokePing's DNS): one UDP query to a named server,
 * timed from send to the matching reply; rcode and answers as the server sent them, optionally
 * checked against an expected answer set. Our own wire code rather than dns.Resolver, which
 * retries, hides the rcode behind error names and does not say which reply it timed.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { usageError } from '../lib/errors.js';
import { msSince, type ProbeLog } from './common.js';
import { TYPES, encodeQuery, decodeResponse, DnsWireError, type DnsResponse } from './dns-wire.js';

export interface DnsOptions {
  server: string;
  port?: number;
  type?: string;
  timeoutMs?: number;
  expect?: string[];
  expectRcode?: string;
  log?: ProbeLog;
}
export interface DnsResult {
  name: string;
  type: string;
  server: string;
  port: number;
  success: boolean;
  failure: string | null;
  ms: number | null;
  rcode: string | null;
  response: DnsResponse | null;
  /** answers of the asked type (what --expect is compared with) */
  values: string[];
}

/** Compare as sets, names case-insensitively and with or without the final dot. */
const norm = (s: string) => s.trim().toLowerCase().replace(/\.$/, '');

export function probeDns(name: string, o: DnsOptions): Promise<DnsResult> {
  const type = (o.type ?? 'A').toUpperCase();
  const qtype = TYPES[type];
  if (!qtype)
    throw usageError(
      'BAD_OPTION',
      `--type ${o.type} is not one of ${Object.keys(TYPES).join(' ')}`,
    );
  if (!isIP(o.server))
    throw usageError(
      'PROBE_BAD_TARGET',
      `--server must be an IP address, got ${JSON.stringify(o.server)}`,
      'the probe asks one server, named by address',
    );
  const port = o.port ?? 53,
    timeoutMs = o.timeoutMs ?? 2000;
  const id = randomInt(0, 65536);
  let query: Buffer;
  try {
    query = encodeQuery(id, name, qtype);
  } catch (e) {
    throw usageError(
      'PROBE_BAD_NAME',
      `cannot query ${JSON.stringify(name)}: ${(e as Error).message}`,
    );
  }
  const res: DnsResult = {
    name,
    type,
    server: o.server,
    port,
    success: false,
    failure: null,
    ms: null,
    rcode: null,
    response: null,
    values: [],
  };
  const sock = createSocket(isIP(o.server) === 6 ? 'udp6' : 'udp4');

  return new Promise((resolve) => {
    let t0 = 0n,
      done = false;
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      res.failure = failure;
      if (!failure && res.response) {
        const want = o.expectRcode ?? 'NOERROR';
        if (res.rcode !== want) res.failure = `rcode ${res.rcode}, expected ${want}`;
        else if (res.response.tc)
          res.failure = 'truncated reply (TC); the probe does not retry over TCP';
        else if (o.expect) {
          const got = [...new Set(res.values.map(norm))].sort(),
            exp = [...new Set(o.expect.map(norm))].sort();
          if (got.join('\n') !== exp.join('\n'))
            res.failure = `answer ${got.join(', ') || '(none)'}, expected ${exp.join(', ')}`;
        }
      }
      res.success = res.failure === null;
      o.log?.(
        res.failure
          ? `probe failed: ${res.failure}`
          : `rcode ${res.rcode}, ${res.values.length} answers of type ${type}`,
      );
      resolve(res);
    };
    const timer = setTimeout(() => finish(`no reply within ${timeoutMs} ms`), timeoutMs);
    sock.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    sock.on('message', (msg) => {
      // a connected socket only hears the server; a reply to another query id is ignored
      if (msg.length < 2 || msg.readUInt16BE(0) !== id) return;
      res.ms = msSince(t0);
      try {
        res.response = decodeResponse(msg);
        res.rcode = res.response.rcode;
        res.values = res.response.answers.filter((a) => a.type === type).map((a) => a.data);
        finish(null);
      } catch (e) {
        finish(`malformed reply: ${e instanceof DnsWireError ? e.message : String(e)}`);
      }
    });
    sock.connect(port, o.server, () => {
      o.log?.(`query ${name} ${type} to ${o.server} port ${port}`);
      t0 = process.hrtime.bigint();
      sock.send(query);
    });
  });
}
