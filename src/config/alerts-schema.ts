/**
 * The `alerts:` section of hostops.yaml: where notifications go and, per built-in rule, its
 * thresholds, "for" duration and severity. Every rule is on with defaults, so a dead target
 * alerts (in the agent's own log, /api/alerts and /metrics) with nothing configured.
 */
import { z } from 'zod';
import { parseLossBound } from './units.js';
import { duration } from './zod-duration.js';

const severity = z.enum(['critical', 'warning', 'info']);

/** A ratio written as "5%" or 0.05. */
const ratio = (dflt: string) =>
  z
    .union([z.number(), z.string()])
    .default(dflt)
    .transform((v, ctx) => {
      const n = typeof v === 'number' ? v : /^\s*\d/.test(v) ? parseLossBound(v)?.value : undefined;
      if (n == null || !(n >= 0 && n <= 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a share such as "5%" or 0.05, got ${JSON.stringify(v)}`,
        });
        return z.NEVER;
      }
      return n;
    });

const rule = <T extends z.ZodRawShape>(
  dFor: string,
  dSeverity: z.infer<typeof severity>,
  shape: T,
) =>
  z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long the condition must hold before the alert fires. */
      for: duration(dFor),
      severity: severity.default(dSeverity),
      ...shape,
    })
    .prefault({} as never); // every field has a default

const url = z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL');
const mailbox = z
  .string()
  .regex(/^[^\s<>@]+@[^\s<>@]+$/, 'expected an address such as ops@example.net');

export const alertsSchema = z
  .strictObject({
    /** Seconds between rule evaluations (pending alerts become firing at most this late). */
    evaluate: duration('5s'),
    /** Base URL put in generatorURL and externalURL (default: the agent's own listen URL). */
    externalURL: url.optional(),
    /** Alertmanager base URLs; alerts are POSTed to <url>/api/v2/alerts. */
    alertmanager: z.array(url).default([]),
    /** Receivers of Alertmanager's webhook JSON (version 4). */
    webhook: z.array(url).default([]),
    email: z
      .strictObject({
        to: z.array(mailbox).min(1, 'name at least one recipient'),
        from: mailbox.optional(),
        /** sendmail (the host's MTA, `sendmail -t`) or smtp://host[:port] / smtps://host[:port]. */
        via: z
          .string()
          .regex(/^(sendmail|smtps?:\/\/[^\s/]+\/?)$/, 'expected sendmail or smtp://host:port')
          .default('sendmail'),
        /** The command run for via: sendmail (message on stdin, recipients from its headers). */
        sendmail: z.array(z.string().min(1)).min(1).default(['/usr/sbin/sendmail', '-t', '-i']),
      })
      .optional(),
    /** Alertmanager re-send period while an alert fires (endsAt is 4 of these ahead, as Prometheus does). */
    resend: duration('1m'),
    /** Webhook and email: repeat a still-firing group this often. */
    repeat: duration('4h'),
    /** Per attempt, and attempts per notification. */
    timeout: duration('10s'),
    retries: z.number().int().min(0).max(10).default(2),
    rules: z
      .strictObject({
        targetDown: rule('2m', 'critical', {}),
        sla: rule('5m', 'warning', {
          /** Rounds over this window are judged against the pair's SLA. */
          window: duration('15m'),
        }),
        packetLoss: rule('5m', 'warning', { above: ratio('10%'), clear: ratio('5%') }).superRefine(
          (r, ctx) => {
            if (r.clear > r.above)
              ctx.addIssue({
                code: 'custom',
                path: ['clear'],
                message: `must not be above \`above\` (${r.above * 100}%): the alert would never clear`,
              });
          },
        ),
        pathChanged: rule('0s', 'info', {
          /** How long a path change stays firing (then it resolves by itself). */
          hold: duration('30m'),
        }),
        mailQueue: rule('10m', 'warning', {
          above: z.number().int().min(1).default(5000),
          /** Messages per minute of growth, over the last `over`. */
          growth: z.number().positive().default(100),
          over: duration('10m'),
        }),
        mailFrozen: rule('10m', 'warning', { above: z.number().int().min(0).default(50) }),
        spamSource: rule('0s', 'critical', {
          /** Messages per hour from one script directory, local user or AUTH user. */
          above: z.number().int().min(1).default(500),
        }),
        ntpExposed: rule('0s', 'critical', {}),
        amplifier: rule('0s', 'critical', {
          /** Bytes returned per byte sent by any NTP mode. */
          factor: z.number().positive().default(10),
        }),
        throughputLow: rule('0s', 'warning', {
          /** Below this share of capacity.links.<peer> (peers with a link only) ... */
          share: ratio('50%'),
          /** ... or below this many bits per second (any peer; 0 = off). */
          below: z.number().min(0).default(0),
        }),
        jobFailing: rule('0s', 'warning', { failures: z.number().int().min(1).default(3) }),
        capacityAtRisk: rule('0s', 'warning', {}),
        /** A service probe (probes:) outside its SLA: success share, median duration or phase over the window. */
        probeSla: rule('5m', 'warning', { window: duration('15m') }),
        /** A probe's certificate has fewer days left than its sla.certDays. */
        certExpiry: rule('0s', 'warning', {}),
      })
      .prefault({}),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;
export type AlertRulesConfig = AlertsConfig['rules'];
