/**
 * A reproducible mixed capture: an NTP monlist reflection (byte-exact ntpd 4.2.6p5 replies) against
 * one victim, a DNS reflection against another, and ordinary traffic (DNS lookups, NTP mode 3/4,
 * IPv6 UDP, TCP, ARP, VLAN-tagged frames) that must not be reported.
 */
import {
  CaptureWriter,
  frame,
  monlistPayload,
  type Link,
  type WriterOptions,
} from './pcap-writer.js';

export const T0 = 1764000000; // 2025-11-24T16:00:00Z
export const NTP_VICTIM = '198.18.50.5';
export const DNS_VICTIM = '198.18.60.6';
export const NTP_REFLECTORS = 30;
export const DNS_REFLECTORS = 15;

/** Deterministic PRNG so every run writes the same bytes. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    s ^= s >>> 12;
    return (s >>> 0) / 4294967296;
  };
}

export interface Frame {
  data: Buffer;
  ts: number;
}

export function scenarioFrames(link: Link = 'eth'): Frame[] {
  const r = rng(7);
  const out: Frame[] = [];
  // NTP monlist: each reflector answers 3 spoofed requests with 100 × 440-byte payloads
  for (let trig = 0; trig < 3; trig++) {
    for (let i = 0; i < NTP_REFLECTORS; i++) {
      const src = `198.18.${10 + (i >> 8)}.${(i & 255) + 1}`;
      const base = T0 + 1 + trig * 1.5 + i * 0.01;
      for (let s = 0; s < 100; s++) {
        out.push({
          data: frame({
            src,
            dst: NTP_VICTIM,
            sport: 123,
            dport: 80,
            payload: monlistPayload(s, s === 99),
            link,
          }),
          ts: base + s * 0.0002,
        });
      }
    }
  }
  // DNS reflection: ANY answers of ~1400 bytes from open resolvers to a random port of the victim
  for (let i = 0; i < DNS_REFLECTORS; i++) {
    for (let n = 0; n < 80; n++) {
      out.push({
        data: frame({
          src: `198.18.20.${i + 1}`,
          dst: DNS_VICTIM,
          sport: 53,
          dport: 1024 + Math.floor(r() * 60000),
          payload: 1400,
          link,
        }),
        ts: T0 + 2 + n * 0.01 + i * 0.0005,
      });
    }
  }
  // ordinary lookups: client -> resolver and back
  for (let n = 0; n < 400; n++) {
    const cli = `198.18.70.${1 + (n % 40)}`,
      port = 30000 + n;
    out.push({
      data: frame({ src: cli, dst: '198.18.80.53', sport: port, dport: 53, payload: 40, link }),
      ts: T0 + n * 0.02,
    });
    out.push({
      data: frame({ src: '198.18.80.53', dst: cli, sport: 53, dport: port, payload: 120, link }),
      ts: T0 + n * 0.02 + 0.001,
    });
  }
  // NTP clients (mode 3 / mode 4, 48 bytes)
  for (let n = 0; n < 100; n++) {
    const cli = `198.18.71.${1 + (n % 20)}`;
    const q = Buffer.alloc(48);
    q[0] = 0x23;
    const a = Buffer.alloc(48);
    a[0] = 0x24;
    a[1] = 2;
    out.push({
      data: frame({ src: cli, dst: '198.18.80.123', sport: 123, dport: 123, payload: q, link }),
      ts: T0 + n * 0.05,
    });
    out.push({
      data: frame({ src: '198.18.80.123', dst: cli, sport: 123, dport: 123, payload: a, link }),
      ts: T0 + n * 0.05 + 0.002,
    });
  }
  // IPv6 UDP
  for (let n = 0; n < 50; n++) {
    out.push({
      data: frame({
        src: '2001:db8::10',
        dst: '2001:db8:1::53',
        sport: 40000 + n,
        dport: 53,
        payload: 33,
        link,
      }),
      ts: T0 + 0.5 + n * 0.01,
    });
    out.push({
      data: frame({
        src: '2001:db8:1::53',
        dst: '2001:db8::10',
        sport: 53,
        dport: 40000 + n,
        payload: 90,
        link,
      }),
      ts: T0 + 0.5 + n * 0.01 + 0.001,
    });
  }
  if (link === 'eth') {
    // TCP and ARP: not UDP, must be counted but not analysed
    for (let n = 0; n < 20; n++) {
      const f = frame({
        src: '198.18.70.1',
        dst: '198.18.80.80',
        sport: 5000,
        dport: 80,
        payload: 10,
      });
      f[14 + 9] = 6;
      out.push({ data: f, ts: T0 + n * 0.1 });
      const arp = Buffer.alloc(42);
      arp.fill(0xff, 0, 6);
      arp.writeUInt16BE(0x0806, 12);
      out.push({ data: arp, ts: T0 + n * 0.1 + 0.05 });
    }
    for (let n = 0; n < 30; n++) {
      out.push({
        data: frame({
          src: '198.18.72.1',
          dst: '198.18.80.9',
          sport: 7000 + n,
          dport: 9999,
          payload: 64,
          link: 'vlan',
        }),
        ts: T0 + n * 0.1,
      });
    }
  }
  out.sort((x, y) => x.ts - y.ts);
  return out;
}

export function writeScenario(opts: WriterOptions, link: Link = 'eth'): Buffer {
  const w = new CaptureWriter(opts);
  for (const f of scenarioFrames(link)) w.add(f.data, f.ts);
  return w.toBuffer();
}
