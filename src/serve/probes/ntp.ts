/**
 * NTP self-check and amplification-exposure contract. The fallback is a minimal client of its
 * own: a mode 3 query (offset, delay, stratum) and mode 6 / mode 7 requests whose answers are
 * counted in bytes to give the amplification factor.
 */
import { createSocket } from 'node:dgram';

export interface NtpResult { offset: number; delay: number; stratum: number; refid: string; leap: number }
export interface AmpMode { mode: string; sentBytes: number; returnedBytes: number; packets: number; factor: number }
export interface AmpResult { host: string; modes: AmpMode[]; factor: number; verdict: 'exposed' | 'not-exposed'; fix?: string }

export interface NtpChecker {
  readonly name: string;
  query(host: string, opts: { port: number; timeoutMs: number }): Promise<NtpResult>;
  amp(host: string, opts: { port: number; timeoutMs: number }): Promise<AmpResult>;
}

const NTP_EPOCH = 2208988800;

function toNtp(buf: Buffer, off: number, t: number): void {
  const s = Math.floor(t) + NTP_EPOCH;
  buf.writeUInt32BE(s >>> 0, off);
  buf.writeUInt32BE(Math.floor((t % 1) * 2 ** 32) >>> 0, off + 4);
}
const fromNtp = (buf: Buffer, off: number) => buf.readUInt32BE(off) - NTP_EPOCH + buf.readUInt32BE(off + 4) / 2 ** 32;

/** Send one datagram, collect every answer until timeout (bounded to 100 packets). */
function exchange(host: string, port: number, payload: Buffer, timeoutMs: number, firstOnly: boolean): Promise<{ packets: Buffer[]; t1: number; t4: number[] }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const packets: Buffer[] = []; const t4: number[] = [];
    let t1 = 0;
    const done = () => { clearTimeout(timer); sock.close(); resolve({ packets, t1, t4 }); };
    const timer = setTimeout(done, timeoutMs);
    sock.on('error', (e) => { clearTimeout(timer); sock.close(); reject(e); });
    sock.on('message', (msg) => {
      t4.push(Date.now() / 1000);
      packets.push(msg);
      if (firstOnly || packets.length >= 100) done();
    });
    t1 = Date.now() / 1000;
    sock.send(payload, port, host, (e) => { if (e) { clearTimeout(timer); sock.close(); reject(e); } });
  });
}

export function ownNtpChecker(): NtpChecker {
  return {
    name: 'builtin',
    async query(host, o) {
      const req = Buffer.alloc(48);
      req[0] = (0 << 6) | (4 << 3) | 3;
      const now = Date.now() / 1000;
      toNtp(req, 40, now);
      const { packets, t1, t4 } = await exchange(host, o.port, req, o.timeoutMs, true);
      const res = packets[0];
      if (!res) throw new Error(`no NTP answer from ${host}:${o.port} within ${o.timeoutMs} ms`);
      if (res.length < 48) throw new Error(`short NTP answer (${res.length} bytes) from ${host}`);
      const t2 = fromNtp(res, 32); const t3 = fromNtp(res, 40);
      const stratum = res[1];
      const refid = stratum <= 1 ? res.subarray(12, 16).toString('latin1').replace(/\0+$/, '') : [...res.subarray(12, 16)].join('.');
      return { offset: ((t2 - t1) + (t3 - t4[0])) / 2, delay: (t4[0] - t1) - (t3 - t2), stratum, refid, leap: res[0] >> 6 };
    },
    async amp(host, o) {
      const readvar = Buffer.from([0x16, 0x02, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
      const monlist = Buffer.alloc(48); monlist.set([0x17, 0x00, 0x03, 0x2a]);
      const version = Buffer.alloc(48); version[0] = 0x23;
      const modes: AmpMode[] = [];
      for (const [mode, req] of [['mode3-client', version], ['mode6-readvar', readvar], ['mode7-monlist', monlist]] as const) {
        const { packets } = await exchange(host, o.port, req, o.timeoutMs, false);
        const returnedBytes = packets.reduce((a, p) => a + p.length, 0);
        modes.push({ mode, sentBytes: req.length, returnedBytes, packets: packets.length, factor: returnedBytes / req.length });
      }
      const factor = Math.max(...modes.map((m) => m.factor));
      const exposed = modes.some((m) => m.mode !== 'mode3-client' && m.factor > 1);
      return { host, modes, factor, verdict: exposed ? 'exposed' : 'not-exposed',
        ...(exposed ? { fix: 'restrict mode 6/7 queries (ntpd: restrict default noquery; chrony: no cmdallow for remote hosts)' } : {}) };
    },
  };
}
