/**
 * Who hears about alerts and when. Alertmanager gets every firing alert again every `resend`
 * with endsAt four resends ahead (what Prometheus does, so Alertmanager's grouping, silences and
 * routing decide the rest) and each resolved one once with endsAt at its resolution. Webhook and
 * email receivers get one message per alert name when something in it fired or resolved, and
 * again every `repeat` while it keeps firing. Each receiver has its own bounded queue and sends
 * one message at a time with a timeout and retries; a failure is logged and counted, never thrown.
 */
import type { AlertsConfig } from '../../../config/index.js';
import type { AlertView, Changes } from '../engine.js';
import type { AlertMetrics } from '../metrics.js';
import { defaultFrom, viaSendmail, viaSmtp } from './email.js';
import { postJson } from './http-post.js';
import { redactUrl } from '../../../lib/redact-url.js';
import { apiAlert, emailText, webhookMessage, type WebhookMessage } from './payloads.js';

const QUEUE_MAX = 50;

/** A receiver URL fit for logs, labels and --check-config: no user:password@, no ?query (tokens live there). */
export const redact = (url: string) => redactUrl(url, { userinfo: 'drop', query: 'drop' });

export interface SendJob {
  what: string;
  send(): Promise<void>;
}

/** One receiver: a FIFO (oldest dropped past QUEUE_MAX) drained by one sender. */
export class Sink {
  private queue: SendJob[] = [];
  private busy: Promise<void> | null = null;
  constructor(
    readonly name: string,
    private o: {
      retries: number;
      metrics: AlertMetrics | null;
      log: (m: string) => void;
      sleep: (ms: number) => Promise<void>;
    },
  ) {
    o.metrics?.notifier(name);
  }

  push(job: SendJob): void {
    this.queue.push(job);
    while (this.queue.length > QUEUE_MAX) {
      const dropped = this.queue.shift()!;
      this.o.metrics?.notificationsDropped.inc({ notifier: this.name });
      this.o.log(`alert notifier ${this.name}: queue full, dropped ${dropped.what}`);
    }
    this.busy ??= this.drain().finally(() => {
      this.busy = null;
    });
  }

  private async drain(): Promise<void> {
    for (let job = this.queue.shift(); job; job = this.queue.shift()) {
      for (let attempt = 0; ; attempt++) {
        try {
          await job.send();
          this.o.metrics?.notifications.inc({ notifier: this.name, result: 'ok' });
          break;
        } catch (e) {
          this.o.metrics?.notifications.inc({ notifier: this.name, result: 'error' });
          const last = attempt >= this.o.retries;
          this.o.log(
            `alert notifier ${this.name}: ${job.what} failed (attempt ${attempt + 1} of ${this.o.retries + 1}${last ? ', giving up' : ''}): ${(e as Error).message}`,
          );
          if (last) break;
          await this.o.sleep(1000 * 2 ** attempt);
        }
      }
    }
  }

  /** Resolves when everything queued so far was sent or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy) await this.busy;
  }
}

export interface DispatchOptions {
  metrics: AlertMetrics | null;
  log: (m: string) => void;
  /** The agent's URL for generatorURL/externalURL when alerts.externalURL is not set. */
  baseURL: () => string;
  sleep?: (ms: number) => Promise<void>;
}

export class Dispatcher {
  private am: { url: string; sink: Sink }[] = [];
  private hooks: { url: string; sink: Sink }[] = [];
  private mail: Sink | null = null;
  private lastAm = 0;
  /** When each alert name's group was last sent to webhooks and email. */
  private lastGroup = new Map<string, number>();
  private cfg!: AlertsConfig;

  constructor(
    cfg: AlertsConfig,
    private o: DispatchOptions,
  ) {
    this.configure(cfg);
  }

  private get base(): string {
    return this.cfg.externalURL ?? this.o.baseURL();
  }

  /** Take a new alerts section (reload); receivers whose URL stayed keep their queue. */
  configure(cfg: AlertsConfig): void {
    this.cfg = cfg;
    const sinkOpts = {
      retries: cfg.retries,
      metrics: this.o.metrics,
      log: this.o.log,
      sleep: this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref())),
    };
    const keep = (list: { url: string; sink: Sink }[], url: string, name: string) =>
      list.find((s) => s.url === url)?.sink ?? new Sink(name, sinkOpts);
    this.am = cfg.alertmanager.map((url) => ({
      url,
      sink: keep(this.am, url, `alertmanager ${redact(url)}`),
    }));
    this.hooks = cfg.webhook.map((url) => ({
      url,
      sink: keep(this.hooks, url, `webhook ${redact(url)}`),
    }));
    this.mail = cfg.email
      ? this.mail?.name === `email ${cfg.email.via}`
        ? this.mail
        : new Sink(`email ${cfg.email.via}`, sinkOpts)
      : null;
  }

  /** After an evaluation: the changes it made and everything firing now. */
  notify(c: Changes, firing: AlertView[], now: number): void {
    const cfg = this.cfg;
    const t = cfg.timeout * 1000;
    if (
      this.am.length &&
      (c.fired.length || c.resolved.length || (firing.length && now - this.lastAm >= cfg.resend))
    ) {
      this.lastAm = now;
      const validUntil = now + 4 * cfg.resend;
      const body = [
        ...firing.map((a) => apiAlert(a, this.base, validUntil)),
        ...c.resolved.map((a) => apiAlert(a, this.base, now)),
      ];
      const what = `${firing.length} firing, ${c.resolved.length} resolved`;
      for (const a of this.am) {
        const url = `${a.url.replace(/\/$/, '')}/api/v2/alerts`;
        a.sink.push({ what, send: () => postJson(url, body, t) });
      }
    }
    if (!this.hooks.length && !this.mail) return;
    const names = new Set([...c.fired, ...c.resolved, ...firing].map((a) => a.labels.alertname));
    for (const name of names) {
      const changed = [...c.fired, ...c.resolved].some((a) => a.labels.alertname === name);
      const group = firing.filter((a) => a.labels.alertname === name);
      const due = group.length > 0 && now - (this.lastGroup.get(name) ?? 0) >= cfg.repeat;
      if (!changed && !due) continue;
      this.lastGroup.set(name, now);
      if (!group.length) this.lastGroup.delete(name);
      const msg = webhookMessage(
        [...group, ...c.resolved.filter((a) => a.labels.alertname === name)],
        { alertname: name },
        this.base,
      );
      this.send(msg);
    }
  }

  private send(msg: WebhookMessage): void {
    const t = this.cfg.timeout * 1000;
    const what = `${msg.groupLabels.alertname} ${msg.status} (${msg.alerts.length} alerts)`;
    for (const h of this.hooks) h.sink.push({ what, send: () => postJson(h.url, msg, t) });
    const e = this.cfg.email;
    if (this.mail && e) {
      const { subject, body } = emailText(msg);
      const mail = { from: e.from ?? defaultFrom(), to: e.to, subject, body };
      this.mail.push({
        what,
        send: () =>
          e.via === 'sendmail' ? viaSendmail(e.sendmail, mail, t) : viaSmtp(e.via, mail, t),
      });
    }
  }

  async idle(): Promise<void> {
    await Promise.all(
      [
        ...this.am.map((a) => a.sink),
        ...this.hooks.map((h) => h.sink),
        ...(this.mail ? [this.mail] : []),
      ].map((s) => s.idle()),
    );
  }
}
