/**
 * The `probes:` section of hostops.yaml: named service probes (blackbox_exporter's modules,
 * SmokePing's TCPPing/Curl/DNS/SMTP probes) run by `hostops serve` on their own interval, each
 * with its prober's options and an optional SLA.
 */
import { z } from 'zod';
import { isIP } from 'node:net';
import { parseDuration, parseRttBound, type Bound } from './units.js';
import { duration } from './zod-duration.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const name = z
  .string()
  .regex(NAME_RE, 'expected 1-64 letters, digits, "-", "_" or "." starting with a letter or digit');
const HOST = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\d{1,3}(?:\.\d{1,3}){3})`;
const hostPort = z
  .string()
  .regex(
    new RegExp(`^(?:${HOST}|\\[[0-9A-Fa-f:.]+\\]):\\d{1,5}$`),
    'expected host:port or [v6]:port',
  );

/** The phases each prober times (probe_<prober>_duration_seconds{phase}). */
export const PROBE_PHASES = {
  tcp: ['connect'],
  http: ['resolve', 'connect', 'tls', 'processing', 'transfer'],
  dns: ['request'],
  smtp: ['connect', 'banner', 'ehlo', 'starttls'],
} as const;

const bound = z.union([z.number(), z.string()]).transform((v, ctx): Bound => {
  const b = parseRttBound(v);
  if (!b) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration bound such as "< 200 ms", got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return b;
});

/** "99%", ">= 99.5%" or 0.99: the least share of runs that must succeed. */
const share = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'string' ? /^\s*(?:>=?)?\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v) : null;
  const n = typeof v === 'number' ? v : m ? Number(m[1]) / 100 : NaN;
  if (!(n >= 0 && n <= 1)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a share such as "99%" or 0.99, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  return n;
});

export const probeSlaSchema = z.strictObject({
  /** Share of the runs in the window that must succeed. */
  success: share.optional(),
  /** Median of the whole probe's duration over the window. */
  duration: bound.optional(),
  /** Median of each phase over the window, e.g. { connect: "< 50 ms", tls: "< 100 ms" }. */
  phases: z.record(z.string(), bound).optional(),
  /** Days the certificate (HTTPS, SMTP STARTTLS) must have left. */
  certDays: z.number().int().min(0).max(3650).optional(),
  /** Runs over this window are judged (default alerts.rules.probeSla.window). */
  window: z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const d = parseDuration(v);
      if (d === null || d <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as "15m", got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return d;
    })
    .optional(),
});

const common = {
  name,
  interval: duration('60s'),
  timeout: duration('10s'),
  sla: probeSlaSchema.optional(),
};
const tls = { verify: z.boolean().default(true), ca: z.string().min(1).optional() };

export const probeSchema = z
  .discriminatedUnion('prober', [
    z.strictObject({ ...common, prober: z.literal('tcp'), target: hostPort }),
    z.strictObject({
      ...common,
      prober: z.literal('http'),
      target: z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL'),
      http: z
        .strictObject({
          method: z.enum(['GET', 'HEAD']).default('GET'),
          /** Statuses that count as success (default any 2xx). */
          status: z.array(z.number().int().min(100).max(599)).min(1).optional(),
          /** The body must match this regular expression (blackbox's fail_if_body_not_matches_regexp). */
          bodyRegex: z
            .string()
            .refine((s) => {
              try {
                new RegExp(s);
                return true;
              } catch {
                return false;
              }
            }, 'not a valid regular expression')
            .optional(),
          ...tls,
        })
        .prefault({}),
    }),
    z.strictObject({
      ...common,
      prober: z.literal('dns'),
      /** The server asked: address[:port] (default port 53). */
      target: z.string().refine((s) => {
        const m = /^\[([^\]]+)\](?::\d{1,5})?$|^([^:]+)(?::\d{1,5})?$|^([0-9A-Fa-f:]+)$/.exec(s);
        return !!m && isIP(m[1] ?? m[2] ?? m[3]) !== 0;
      }, 'expected the server as an IP address, address:port or [v6]:port'),
      dns: z.strictObject({
        name: z.string().min(1).max(253),
        type: z
          .enum(['A', 'NS', 'CNAME', 'SOA', 'PTR', 'MX', 'TXT', 'AAAA', 'SRV', 'CAA'])
          .default('A'),
        /** The answers of that type, as a set (case and final dot ignored). */
        expect: z.array(z.string().min(1)).optional(),
        rcode: z
          .enum(['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'])
          .default('NOERROR'),
      }),
    }),
    z.strictObject({
      ...common,
      prober: z.literal('smtp'),
      target: hostPort,
      smtp: z
        .strictObject({
          /** required: fail without STARTTLS; optional: use it when offered; off: never. */
          starttls: z.enum(['required', 'optional', 'off']).default('optional'),
          helo: z.string().min(1).max(253).optional(),
          ...tls,
        })
        .prefault({}),
    }),
  ])
  .superRefine((p, ctx) => {
    const allowed: readonly string[] = PROBE_PHASES[p.prober];
    for (const k of Object.keys(p.sla?.phases ?? {})) {
      if (!allowed.includes(k))
        ctx.addIssue({
          code: 'custom',
          path: ['sla', 'phases', k],
          message: `a ${p.prober} probe has the phases ${allowed.join(', ')}`,
        });
    }
    if (
      p.sla?.certDays !== undefined &&
      !(p.prober === 'smtp' || (p.prober === 'http' && p.target.startsWith('https:')))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['sla', 'certDays'],
        message: 'only an https:// or smtp probe sees a certificate',
      });
    }
  });

export const probesSchema = z
  .array(probeSchema)
  .default([])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `two probes named ${p.name}` });
      seen.add(p.name);
    });
  });

export type ProbeConfig = z.output<typeof probeSchema>;
export type ProbeSlaConfig = z.output<typeof probeSlaSchema>;
