/** NtpChecker over src/ntp: ntpQuery for the self-check, ntpCheck (mode 3/6/7 probes) for exposure. */
import { ntpCheck, ntpQuery } from '../../ntp/index.js';
import type { AmpResult, NtpChecker } from './ntp.js';

export function ntpModuleChecker(): NtpChecker {
  return {
    name: 'src/ntp',
    async query(host, o) {
      const r = await ntpQuery(host, { port: o.port, timeoutMs: o.timeoutMs });
      if (r.kod) throw new Error(`${host} answered Kiss-o'-Death ${r.kod}${r.kodMeaning ? `: ${r.kodMeaning}` : ''}`);
      return { offset: r.offset, delay: r.delay, stratum: r.stratum, refid: r.refid, leap: r.leap, synchronized: r.synchronized };
    },
    async amp(host, o): Promise<AmpResult> {
      const r = await ntpCheck(host, { port: o.port, timeoutMs: o.timeoutMs });
      return {
        host,
        modes: r.probes.map((p) => ({ mode: p.probe, sentBytes: p.amplification.requestBytes, returnedBytes: p.amplification.replyBytes,
          packets: p.amplification.replyPackets, factor: p.amplification.factor, verdict: p.verdict })),
        factor: r.worst?.factor ?? 0,
        verdict: r.vulnerable || r.verdict === 'vulnerable' || r.verdict === 'exposed' ? 'exposed' : 'not-exposed',
        detail: r.verdict,
        server: r.serverVersion ?? r.server,
        ...(r.fix.length ? { fix: r.fix.join(' ') } : {}),
      };
    },
  };
}
