/**
 * `ddos analyze --watch` paging someone: each attack and its end become an alert in
 * Alertmanager's webhook JSON (alertname HostopsReflectionAttack, firing then resolved), POSTed to
 * webhooks and/or written to the stdin of a command (`sh -c`). Sends run one at a time per
 * receiver with a timeout and retries, behind the analysis; failures go to stderr.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import type { WatchEvent } from './analyzer.js';
import { fingerprint, type AlertView } from '../serve/alerts/engine.js';
import { webhookMessage, type WebhookMessage } from '../serve/alerts/notify/payloads.js';
import { postJson } from '../serve/alerts/notify/http-post.js';
import { redact, Sink } from '../serve/alerts/notify/dispatch.js';

export interface DdosNotifyOptions {
  webhooks: string[];
  commands: string[];
  timeoutMs?: number;
  retries?: number;
  log?: (m: string) => void;
  describe: (e: WatchEvent) => string;
}

/** The alert of one watch event: the same labels for an attack and its end, so they pair up. */
export function attackAlert(
  e: WatchEvent,
  describe: (e: WatchEvent) => string,
  site = hostname().split('.')[0],
): AlertView {
  const labels = {
    alertname: 'HostopsReflectionAttack',
    site,
    severity: 'critical',
    victim: e.victim,
    protocol: e.protocol,
    port: String(e.port),
  };
  const start = e.type === 'attack' ? e.at : e.start;
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations: {
      summary: `${e.protocol} reflection attack (udp/${e.port}) against ${e.victim}${e.type === 'end' ? ' ended' : ''}`,
      description: describe(e),
    },
    state: e.type === 'attack' ? 'firing' : 'resolved',
    activeAt: start,
    firedAt: start,
    resolvedAt: e.type === 'end' ? e.end : null,
  };
}

/** Run `cmd` with sh -c and the message on stdin; non-zero exit or a timeout is an error. */
function runCommand(cmd: string, msg: WebhookMessage, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('/bin/sh', ['-c', cmd], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      if (err.length < 2000) err += d.toString();
    });
    p.on('error', (e) => reject(e));
    p.on('close', (code, sig) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `command ${JSON.stringify(cmd)} ${sig ? `killed (${sig})` : `exited with ${code}`}${err ? `: ${err.trim()}` : ''}`,
            ),
          ),
    );
    p.stdin.on('error', () => {
      /* reported by close */
    });
    p.stdin.end(JSON.stringify(msg) + '\n');
  });
}

export class DdosNotifier {
  private sinks: { sink: Sink; send: (m: WebhookMessage) => Promise<void> }[];

  constructor(private o: DdosNotifyOptions) {
    const t = o.timeoutMs ?? 10_000;
    const opts = {
      retries: o.retries ?? 2,
      metrics: null,
      log: o.log ?? ((m: string) => process.stderr.write(`hostops: ${m}\n`)),
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    };
    this.sinks = [
      ...o.webhooks.map((u) => ({
        sink: new Sink(`webhook ${redact(u)}`, opts),
        send: (m: WebhookMessage) => postJson(u, m, t),
      })),
      ...o.commands.map((c) => ({
        sink: new Sink(`command ${c}`, opts),
        send: (m: WebhookMessage) => runCommand(c, m, t),
      })),
    ];
  }

  notify(e: WatchEvent): void {
    const a = attackAlert(e, this.o.describe);
    const msg = webhookMessage(
      [a],
      { alertname: a.labels.alertname, victim: e.victim },
      '',
      'hostops-ddos',
    );
    for (const s of this.sinks)
      s.sink.push({ what: `${e.type} ${e.protocol} ${e.victim}`, send: () => s.send(msg) });
  }

  /** Wait for everything queued (at the end of the capture). */
  async idle(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.sink.idle()));
  }
}
