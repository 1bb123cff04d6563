/**
 * The hostops.yaml schema (zod). Every duration accepts seconds or "20s"/"5m"/"1h"; every field
 * has a default so an empty file (or no file) is a working agent that probes this host.
 */
import { z } from 'zod';
import { parseLossBound, parseRttBound } from './units.js';
import { alertsSchema } from './alerts-schema.js';
import { duration } from './zod-duration.js';
import { probesSchema } from './probes-schema.js';

const HOST_RE =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]+)$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export { duration };

const host = z.string().min(1).max(253).regex(HOST_RE, 'expected a hostname or an IP address');
const name = z
  .string()
  .regex(NAME_RE, 'expected 1-64 letters, digits, "-", "_" or "." starting with a letter or digit');

const rttBound = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const b = parseRttBound(v);
  if (!b) {
    ctx.addIssue({
      code: 'custom',
      message: `expected an RTT bound such as "< 70 ms", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return b;
});
const lossBound = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const b = parseLossBound(v);
  if (!b) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a loss bound such as "< 1%", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return b;
});

export const slaSchema = z.strictObject({ rtt: rttBound.optional(), loss: lossBound.optional() });

export const targetSchema = z.strictObject({
  name,
  host,
  /** SLA for this target from every site; `sites` overrides it per source site (the pair). */
  sla: slaSchema.optional(),
  sites: z.record(name, slaSchema).optional(),
  /** Record the path (mtr) to this target too. */
  path: z.boolean().default(true),
  group: z.string().max(64).optional(),
  /** Measure this target through each of these transit feeds (names from the top-level `feeds`). */
  feeds: z.array(name).max(16).optional(),
});

const IFNAME_RE = /^[A-Za-z0-9_.:@-]{1,15}$/;
const IP_RE = /^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/;

/** A way out of this host (a transit feed): the probes' source address, interface and/or fwmark. */
export const feedSchema = z
  .strictObject({
    name,
    source: z.string().regex(IP_RE, 'expected a numeric IPv4 or IPv6 address').optional(),
    interface: z
      .string()
      .regex(IFNAME_RE, 'expected an interface name (1-15 of letters, digits, _ . : @ -)')
      .optional(),
    fwmark: z.number().int().min(0).max(0xffffffff).optional(),
  })
  .superRefine((f, ctx) => {
    if (f.source === undefined && f.interface === undefined && f.fwmark === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `feed ${f.name} needs at least one of source, interface, fwmark`,
      });
    }
  });

export const peerSchema = z.strictObject({
  name,
  host,
  port: z.number().int().min(1).max(65535).default(5201),
  interval: duration('6h'),
  duration: duration('5s'),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  reverse: z.boolean().default(false),
});

export const configSchema = z
  .strictObject({
    site: name.optional(),
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080),
        /** Required for any non-loopback bind and for every action that changes something. */
        token: z.string().min(16, 'a token must be at least 16 characters').optional(),
        /** Host names the dashboard answers besides the listen address (DNS-rebinding guard), e.g. behind a proxy. */
        allowedHosts: z.array(host).default([]),
      })
      .prefault({}),
    store: z
      .strictObject({
        kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
        path: z.string().default('.hostops/hostops.db'),
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional(),
        /** A fleet's dashboard role for the API's reads (every site's rows); the agent writes with url. */
        readUrl: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional(),
        /**
         * PostgreSQL: named (server-side) prepared statements. false for a PgBouncer in
         * transaction pooling mode older than 1.21 or with max_prepared_statements = 0.
         */
        prepare: z.boolean().default(true),
        /**
         * Fleet agents: re-read the inventory this often besides LISTEN/NOTIFY (0 off). Behind a
         * transaction-pooled PgBouncer no notification arrives: this is how soon changes reach the agent.
         */
        inventoryPoll: duration('5m'),
        /**
         * How often the agent rolls its new rounds up into the 5-minute and hourly rows the
         * dashboard reads (10 s to 5 min). Each pass recomputes the buckets it touches: at 5m a
         * bucket is computed about once, which a large fleet on PostgreSQL needs (docs/fleet-history.md).
         */
        rollupInterval: duration('1m'),
        spool: z
          .strictObject({
            path: z.string().default('.hostops/spool.db'),
            maxRows: z.number().int().min(100).default(1_000_000),
          })
          .prefault({}),
        retention: z
          .strictObject({
            raw: duration('2d'),
            fiveMinute: duration('35d'),
            hourly: duration('400d'),
          })
          .prefault({}),
      })
      .prefault({})
      .superRefine((st, ctx) => {
        if (st.kind === 'postgres' && !st.url)
          ctx.addIssue({
            code: 'custom',
            path: ['url'],
            message: 'kind postgres needs url: postgres://user@host/database',
          });
        if (st.rollupInterval < 10 || st.rollupInterval > 300)
          ctx.addIssue({
            code: 'custom',
            path: ['rollupInterval'],
            message: `expected 10s to 5m, got ${st.rollupInterval} s`,
          });
      }),
    defaults: z
      .strictObject({
        /** Probe this host (127.0.0.1) and its default gateway when no config names targets. */
        self: z.boolean().default(true),
        gateway: z.boolean().default(true),
      })
      .prefault({}),
    ping: z
      .strictObject({
        interval: duration('20s'),
        count: z.number().int().min(3).max(100).default(20),
        /** /metrics carries per-target series (with a histogram each) up to this many targets; beyond it only per-group summaries. */
        metricsTargets: z.number().int().min(0).default(200),
        timeout: duration('1s'),
        /** auto: src/net (one socket for all targets) when its native addon loads, else fping. */
        prober: z.enum(['auto', 'net', 'fping']).default('auto'),
      })
      .prefault({}),
    path: z
      .strictObject({
        enabled: z.boolean().default(true),
        interval: duration('5m'),
        cycles: z.number().int().min(1).max(50).default(5),
      })
      .prefault({}),
    /** Transit feeds, referenced by name from targets[].feeds (docs/serve.md, "Per transit feed"). */
    feeds: z.array(feedSchema).max(16).default([]),
    targets: z.array(targetSchema).default([]),
    iperf: z
      .strictObject({
        server: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(5201),
        peers: z.array(peerSchema).default([]),
      })
      .prefault({}),
    mailq: z
      .strictObject({
        enabled: z.union([z.boolean(), z.literal('auto')]).default('auto'),
        spool: z.string().optional(),
        log: z.string().optional(),
        interval: duration('60s'),
        sourcesInterval: duration('10m'),
      })
      .prefault({}),
    ntp: z
      .strictObject({
        enabled: z.boolean().default(true),
        host: host.default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(123),
        interval: duration('10m'),
      })
      .prefault({}),
    amp: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Hosts checked for NTP/UDP amplification exposure; only your own addresses. */
        targets: z.array(host).default(['127.0.0.1']),
        interval: duration('1h'),
      })
      .prefault({}),
    capacity: z
      .strictObject({
        interval: duration('1h'),
        /** Link capacities (bits per second) per iperf peer, for the throughput-vs-capacity report. */
        links: z.record(name, z.number().positive()).default({}),
        /** A `hostops capacity contention` topology file (docs/capacity.md) to report on. */
        topology: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Built-in alert rules and where their notifications go (src/config/alerts-schema.ts). */
    alerts: alertsSchema,
    /** Service probes (tcp, http, dns, smtp) with their SLAs (src/config/probes-schema.ts). */
    probes: probesSchema,
  })
  .superRefine((c, ctx) => {
    const known = new Set<string>();
    c.feeds.forEach((f, i) => {
      if (known.has(f.name))
        ctx.addIssue({
          code: 'custom',
          path: ['feeds', i, 'name'],
          message: `feed ${f.name} is defined twice`,
        });
      known.add(f.name);
    });
    c.targets.forEach((t, i) =>
      t.feeds?.forEach((f, j) => {
        if (!known.has(f)) {
          ctx.addIssue({
            code: 'custom',
            path: ['targets', i, 'feeds', j],
            message: `no feed named ${f} (defined: ${[...known].join(', ') || 'none'}; add it under the top-level feeds:)`,
          });
        }
      }),
    );
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type FeedConfig = z.output<typeof feedSchema>;
export type PeerConfig = z.output<typeof peerSchema>;
export type SlaConfig = z.output<typeof slaSchema>;
