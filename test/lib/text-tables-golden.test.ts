/**
 * The bytes of the five generic text tables (capacity, ddos analyze, bcp38 spoof, amp scan, ntp
 * check), recorded from the hand-padded builders before they shared src/lib/text-table.ts.
 * HOSTOPS_GOLDEN_WRITE=1 rewrites the files (only when a format is meant to change).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatReport } from '../../src/cli/ddos.js';
import { formatSpoof } from '../../src/cli/bcp38.js';
import { formatTable } from '../../src/cli/amp.js';
import { formatCheck } from '../../src/cli/ntp.js';
import type { DdosReport } from '../../src/ddos/index.js';
import type { SpoofTestResult } from '../../src/bcp38/spoof/spooftest.js';
import type { ScanReport } from '../../src/amp/index.js';
import type { NtpCheckResult } from '../../src/ntp/index.js';

const DIR = path.resolve('test/lib/fixtures/text-tables');
const CAP = path.resolve('test/fixtures/capacity');

function golden(name: string, text: string): void {
  const file = path.join(DIR, name);
  if (process.env.HOSTOPS_GOLDEN_WRITE) writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'), name);
}

test('capacity contention, advise and memory: table bytes', () => {
  const runs: [string, string[], number][] = [
    ['capacity-contention-switch.txt', ['contention', path.join(CAP, 'seed-switch.yaml')], 0],
    ['capacity-contention-host.txt', ['contention', path.join(CAP, 'seed-host.yaml')], 0],
    ['capacity-advise.txt', ['advise', path.join(CAP, 'sample.mrtg.log')], 0],
    ['capacity-memory.txt', ['memory', path.join(CAP, 'seed-ram.yaml')], 1],
  ];
  for (const [name, args, code] of runs) {
    const r = spawnSync(process.execPath, ['bin/hostops.js', 'capacity', ...args], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    assert.equal(r.status, code, r.stderr);
    golden(name, r.stdout);
  }
});

test('ddos analyze report: victims table bytes', () => {
  const vector = (protocol: string, port: number, n: number) => ({
    protocol,
    port,
    reflectors: n * 3,
    packets: n * 1000,
    bytes: n * 4_680_000,
    peakPps: n * 97,
    peakBps: n * 3_700_000,
    start: 1_700_000_000 + n,
    end: 1_700_000_060 + n * 7,
    monlistPackets: protocol === 'ntp' ? n * 900 : 0,
  });
  const r = {
    source: 'attack.pcap',
    format: 'pcap',
    compressed: false,
    linktypes: [1],
    packets: 123456,
    bytes: 98765432,
    start: 1_700_000_000,
    end: 1_700_000_123.5,
    udpPackets: 120000,
    conversations: { count: 77, untrackedPackets: 0 },
    ipv4: 100000,
    ipv6: 23456,
    nonIp: 0,
    fragments: 12,
    orphanFragments: 1,
    shortPackets: 0,
    malformedPackets: 2,
    truncated: null,
    encapsulations: {},
    tunnels: [],
    tunnelsNotListed: 0,
    thresholds: { minPps: 50, minReflectors: 3, minBytes: 100000 },
    victims: [
      {
        address: '198.18.0.10',
        reflectors: 42,
        peakPps: 970,
        peakBps: 37_000_000,
        peakAt: 1_700_000_030,
        monlistPackets: 9000,
        vectors: [vector('ntp', 123, 10), vector('dns', 53, 2)],
        topReflectors: [
          { address: '198.19.1.1', packets: 5000, bytes: 2_340_000, protocols: ['ntp'] },
          { address: '2001:db8::53', packets: 12, bytes: 4000, protocols: ['dns', 'ntp'] },
        ],
      },
      {
        address: '2001:db8:ffff::1',
        reflectors: 3,
        peakPps: 51,
        peakBps: 120_000,
        peakAt: 1_700_000_090,
        monlistPackets: 0,
        vectors: [vector('memcached', 11211, 1)],
        topReflectors: [
          { address: '2001:db8::11', packets: 1000, bytes: 4_680_000, protocols: ['memcached'] },
        ],
      },
    ],
  } as unknown as DdosReport;
  golden('ddos-report.txt', formatReport(r));
});

test('bcp38 spoof result: probe table bytes', () => {
  const r = {
    target: '198.18.7.1',
    port: 33434,
    localAddress: '198.18.6.2',
    observedAddress: '198.18.6.2',
    session: 'abcd1234',
    probes: [
      { label: 'own address', address: '198.18.6.2', kind: 'control', sent: 3, received: 3 },
      {
        label: 'neighbour in /24',
        address: '198.18.6.77',
        kind: 'neighbour',
        sent: 3,
        received: 0,
      },
      { label: 'RFC 1918', address: '10.1.2.3', kind: 'private', sent: 3, received: 2 },
      {
        label: 'documentation v6',
        address: '2001:db8::dead:beef',
        kind: 'other',
        sent: 12,
        received: 0,
      },
      { label: 'lost control', address: '198.18.6.2', kind: 'control', sent: 3, received: 0 },
    ],
    verdict: 'spoofable',
    summary: 'a private source arrived',
  } as unknown as SpoofTestResult;
  golden('bcp38-spoof.txt', formatSpoof(r));
});

test('amp scan and ntp check: fixed-width table bytes', () => {
  const finding = (
    address: string,
    protocol: string,
    port: number,
    factor: number,
    verdict: string,
    invalidPackets = 0,
  ) => ({
    address,
    protocol,
    port,
    requestBytes: 8,
    replyPackets: 100,
    replyBytes: 48000,
    factor,
    frameFactor: Math.round(factor / 3),
    verdict,
    invalidPackets,
  });
  const scan = {
    addresses: 4096,
    protocols: ['ntp-monlist', 'dns', 'memcached'],
    probes: 12288,
    sendSeconds: 1.234,
    probesPerSecond: 9958,
    rate: 10000,
    engine: 'native',
    received: 321,
    unsolicited: { packets: 0 },
    aborted: false,
    sent: 12288,
    kernelDrops: 0,
    findings: [
      finding('198.18.0.1', 'ntp-monlist', 123, 556.1, 'amplifier'),
      finding('198.18.0.200', 'memcached-stats-long-name', 11211, 10000.5, 'amplifier', 3),
      finding('198.18.15.255', 'dns', 53, 1.1, 'responder'),
    ],
    summary: [
      {
        protocol: 'ntp-monlist',
        amplifiers: 1,
        responders: 1,
        maxFactor: 556.1,
        fix: 'disable monitor',
      },
      { protocol: 'dns', amplifiers: 0, responders: 1, maxFactor: 1.1, fix: 'no open recursion' },
      { protocol: 'memcached', amplifiers: 1, responders: 1, maxFactor: 10000.5, fix: 'no UDP' },
    ],
  } as unknown as ScanReport;
  golden('amp-scan-all.txt', formatTable(scan, true));
  golden('amp-scan.txt', formatTable(scan, false));
  const amp = (replyPackets: number, factor: number) => ({
    requestPackets: 1,
    requestBytes: 8,
    replyPackets,
    replyBytes: replyPackets * 468,
    factor,
    frameFactor: factor / 2,
  });
  const check = {
    host: 'ntp.example',
    address: '198.18.0.123',
    port: 123,
    server: 'ntpd',
    serverVersion: 'ntpd 4.2.8p15',
    requestSize: 8,
    probes: [
      {
        probe: 'monlist',
        amplification: amp(100, 5850),
        verdict: 'vulnerable',
        detail: '600 clients listed',
        stray: 0,
      },
      {
        probe: 'readvar (mode 6, a long probe name)',
        amplification: amp(1, 12.3),
        verdict: 'ok',
        detail: 'small',
        stray: 2,
      },
      { probe: 'version', amplification: amp(0, 0), verdict: 'no reply', detail: '', stray: 0 },
    ],
    worst: { probe: 'monlist', factor: 5850, frameFactor: 2925 },
    verdict: 'vulnerable',
    fix: ['restrict default noquery', 'disable monitor'],
  } as unknown as NtpCheckResult;
  golden('ntp-check.txt', formatCheck(check));
});
