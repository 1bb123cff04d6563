/** NTP self-check, amplification exposure of our own addresses, capacity report. */
import type { Job } from '../scheduler.js';
import type { JobContext } from './context.js';
import { readFile } from 'node:fs/promises';
import { contention } from '../../capacity/index.js';
import { parseYamlText } from '../../capacity/validate.js';
import { quantiles } from '../../store/index.js';
import type { NtpCheckResult, NtpQueryResult } from '../../ntp/index.js';

/** What the ntp check row keeps of a mode 3 answer; a Kiss-o'-Death is a failure. */
export function ntpData(host: string, r: NtpQueryResult) {
  if (r.kod)
    throw new Error(
      `${host} answered Kiss-o'-Death ${r.kod}${r.kodMeaning ? `: ${r.kodMeaning}` : ''}`,
    );
  return {
    offset: r.offset,
    delay: r.delay,
    stratum: r.stratum,
    refid: r.refid,
    leap: r.leap,
    synchronized: r.synchronized,
  };
}

/** What the amp check row keeps of an exposure check (the dashboard and the alert rules read it). */
export function ampData(host: string, r: NtpCheckResult) {
  return {
    host,
    modes: r.probes.map((p) => ({
      mode: p.probe,
      sentBytes: p.amplification.requestBytes,
      returnedBytes: p.amplification.replyBytes,
      packets: p.amplification.replyPackets,
      factor: p.amplification.factor,
      verdict: p.verdict,
    })),
    factor: r.worst?.factor ?? 0,
    verdict: (r.vulnerable || r.verdict === 'vulnerable' || r.verdict === 'exposed'
      ? 'exposed'
      : 'not-exposed') as 'exposed' | 'not-exposed',
    detail: r.verdict,
    server: r.serverVersion ?? r.server,
    ...(r.fix.length ? { fix: r.fix.join(' ') } : {}),
  };
}

export function ntpJob(ctx: JobContext): Job {
  const { host, port, interval } = ctx.cfg.ntp;
  return {
    name: 'ntp',
    interval,
    timeout: 30,
    async run() {
      const ts = ctx.now();
      try {
        const r = ntpData(host, await ctx.probes.ntp.query(host, { port, timeoutMs: 2000 }));
        await ctx.store.writeCheck({
          site: ctx.site,
          ts,
          kind: 'ntp',
          target: host,
          ok: r.leap !== 3,
          value: r.offset,
          data: r,
        });
        ctx.metrics.ntpUp.set({ server: host }, 1);
        ctx.metrics.ntpOffset.set({ server: host }, r.offset);
        ctx.metrics.ntpDelay.set({ server: host }, r.delay);
        ctx.metrics.ntpStratum.set({ server: host }, r.stratum);
      } catch (e) {
        ctx.metrics.ntpUp.set({ server: host }, 0);
        await ctx.store.writeCheck({
          site: ctx.site,
          ts,
          kind: 'ntp',
          target: host,
          ok: false,
          value: null,
          data: { error: (e as Error).message },
        });
        throw e;
      }
    },
  };
}

export function ampJob(ctx: JobContext): Job {
  return {
    name: 'amp',
    interval: ctx.cfg.amp.interval,
    timeout: 120,
    async run() {
      for (const target of ctx.cfg.amp.targets) {
        const ts = ctx.now();
        const r = ampData(
          target,
          await ctx.probes.ntp.amp(target, { port: ctx.cfg.ntp.port, timeoutMs: 1500 }),
        );
        await ctx.store.writeCheck({
          site: ctx.site,
          ts,
          kind: 'amp',
          target,
          ok: r.verdict !== 'exposed',
          value: r.factor,
          data: r,
        });
        for (const m of r.modes) ctx.metrics.ampRatio.set({ target, mode: m.mode }, m.factor);
        ctx.metrics.ampExposed.set({ target }, r.verdict === 'exposed' ? 1 : 0);
      }
    },
  };
}

/** Measured throughput per peer against the configured link capacity (p50/p95 of 30 days). */
export function capacityJob(ctx: JobContext): Job {
  return {
    name: 'capacity',
    interval: ctx.cfg.capacity.interval,
    timeout: 120,
    async run() {
      const now = ctx.now();
      const hist = await ctx.store.throughputHistory(now - 30 * 86400, now, ctx.site);
      const peers = new Set([...hist.map((h) => h.peer), ...Object.keys(ctx.cfg.capacity.links)]);
      for (const peer of peers) {
        // UDP tests run at a set bitrate: only TCP tests say what the path can carry
        const ok = hist.filter((h) => h.peer === peer && h.bitsPerSecond != null);
        const tcp = ok.filter((h) => h.protocol === 'tcp');
        const bps = (tcp.length ? tcp : ok).map((h) => h.bitsPerSecond as number);
        const q = quantiles(bps);
        const link = ctx.cfg.capacity.links[peer] ?? null;
        const headroom = link && q.p10 != null ? q.p10 / link : null;
        await ctx.store.writeCheck({
          site: ctx.site,
          ts: now,
          kind: 'capacity',
          target: peer,
          ok: headroom == null || headroom >= 0.5,
          value: headroom,
          data: {
            samples: bps.length,
            linkBitsPerSecond: link,
            p10: q.p10,
            median: q.median,
            p90: q.p90,
            max: q.max,
            note: link
              ? 'achievable throughput (p10 of tests) as a share of the link'
              : 'set capacity.links.<peer> to judge headroom',
          },
        });
      }
      const file = ctx.cfg.capacity.topology;
      if (file) await ctx.store.writeCheck(await contentionCheck(ctx.site, now, file));
    },
  };
}

/** The contention report (src/capacity) of the configured topology, trimmed to what the panel shows. */
export async function contentionCheck(site: string, ts: number, file: string) {
  try {
    const r = contention(parseYamlText(await readFile(file, 'utf8'), file));
    const worst = r.model.reduce((a, m) => Math.max(a, m.pOver), 0);
    return {
      site,
      ts,
      kind: 'contention',
      target: r.topology,
      ok: worst < 0.01,
      value: worst,
      data: {
        mode: r.mode,
        notes: r.notes.slice(0, 10),
        nominal: r.nominal.map((n) => ({
          id: n.id,
          kind: n.kind,
          capacity: n.capacity,
          customers: n.customers,
          ratio: n.ratio,
          endToEnd: n.endToEnd,
          fairShare: n.fairShare,
        })),
        model: r.model.map((m) => ({
          id: m.id,
          customers: m.customers,
          pOver: m.pOver,
          method: m.method,
        })),
      },
    };
  } catch (e) {
    return {
      site,
      ts,
      kind: 'contention',
      target: file,
      ok: false,
      value: null,
      data: { error: (e as Error).message },
    };
  }
}
