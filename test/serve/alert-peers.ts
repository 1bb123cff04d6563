/**
 * Peers for the alert tests: a real Alertmanager (Debian's prometheus-alertmanager) on a free
 * loopback port with its own config and storage, clustering off (it would listen on 0.0.0.0:9094);
 * a webhook receiver that keeps every JSON body; and polling against a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './helpers.js';

export const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

export async function until<T>(
  f: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  what: string,
  ms: number,
  info: () => string = () => '',
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${ms / 1000} s waiting for ${what}${last ? ` (${(last as Error).message})` : ''}\n${info()}`,
      );
    await sleep(100);
  }
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

export interface Alertmanager {
  url: string;
  proc: ChildProcess;
  log(): string;
  alerts(filter?: string): Promise<AmAlert[]>;
  stop(): Promise<void>;
}

export async function startAlertmanager(dir: string): Promise<Alertmanager> {
  if (!existsSync(ALERTMANAGER))
    throw new Error(
      `${ALERTMANAGER} is missing: run scripts/setup-test.sh (Debian package prometheus-alertmanager)`,
    );
  const port = await freePort();
  const cfg = path.join(dir, 'alertmanager.yml');
  writeFileSync(
    cfg,
    'route:\n  receiver: blackhole\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: blackhole\n',
  );
  const proc = spawn(
    ALERTMANAGER,
    [
      `--config.file=${cfg}`,
      `--storage.path=${path.join(dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const exited = once(proc, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const am: Alertmanager = {
    url,
    proc,
    log: () => log,
    async alerts(filter) {
      const r = await fetch(
        `${url}/api/v2/alerts${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`,
      );
      if (!r.ok) throw new Error(`alertmanager answered ${r.status}`);
      return (await r.json()) as AmAlert[];
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await until(
      async () => (await fetch(`${url}/-/ready`)).ok,
      'alertmanager to be ready',
      20_000,
      () => log,
    );
  } catch (e) {
    await am.stop();
    throw e;
  }
  return am;
}

export interface Receiver {
  url: string;
  bodies: any[];
  close(): Promise<void>;
}

/** An HTTP server that answers 200 to every POST and keeps the parsed JSON; `failFirst` answers 500 to that many first. */
export async function startReceiver(failFirst = 0): Promise<Receiver> {
  const bodies: any[] = [];
  let fails = failFirst;
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (d: Buffer) => {
      b += d.toString();
    });
    req.on('end', () => {
      if (fails > 0) {
        fails--;
        res.writeHead(500).end('not now');
        return;
      }
      try {
        bodies.push(JSON.parse(b));
      } catch {
        bodies.push({ unparsable: b });
      }
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
