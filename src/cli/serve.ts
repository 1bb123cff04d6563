import type { Command } from 'commander';
import { HostopsError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { redactUrl } from '../lib/redact-url.js';
import { redact } from '../serve/alerts/notify/dispatch.js';
import { configFrom, serve } from '../serve/index.js';
import { configSchema, type ResolvedConfig } from '../config/index.js';

interface ServeOpts {
  config?: string;
  listen?: string;
  db?: string;
  site?: string;
  checkConfig?: boolean;
  json?: boolean;
}

/** The command-line overrides on top of a loaded config (again on every reload, so they stick). */
function withOverrides(cfg: ResolvedConfig, opts: ServeOpts): ResolvedConfig {
  if (opts.site !== undefined) {
    // the same rule as site: in hostops.yaml
    const r = configSchema.shape.site.safeParse(opts.site);
    if (!r.success)
      throw new HostopsError(
        'SERVE_BAD_SITE',
        `--site ${JSON.stringify(opts.site)}: ${r.error.issues[0]?.message ?? 'not a valid site name'}`,
      );
    cfg.site = opts.site;
  }
  if (opts.db) cfg.store = { ...cfg.store, kind: 'sqlite', path: opts.db };
  if (opts.listen) {
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(opts.listen);
    if (!m || Number(m[3]) > 65535)
      throw new HostopsError(
        'SERVE_BAD_LISTEN',
        `--listen expects host:port, got ${JSON.stringify(opts.listen)}`,
      );
    cfg.listen = { ...cfg.listen, host: m[1] ?? m[2], port: Number(m[3]) };
  }
  return cfg;
}

/** 90 -> "90s", 300 -> "5m", 21600 -> "6h". */
function every(seconds: number): string {
  for (const [unit, n] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const)
    if (seconds >= n && seconds % n === 0) return `${seconds / n}${unit}`;
  return `${seconds}s`;
}

/** `hostops serve`: the agent, its storage, the dashboard and /metrics. */
export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'run the agent: scheduled measurements, storage, web dashboard and Prometheus /metrics',
    )
    .option(
      '-c, --config <file>',
      'hostops.yaml (default: ./hostops.yaml when present, else built-in defaults)',
    )
    .option('--listen <host:port>', 'override listen.host and listen.port (default 127.0.0.1:8080)')
    .option('--db <file>', 'override store.path (SQLite)')
    .option('--site <name>', 'override the site name (default: the host name)')
    .option('--check-config', 'validate the configuration, print the resolved form and exit')
    .option('--json', 'print the resolved configuration / startup record as JSON')
    .action(async (opts: ServeOpts) => {
      const loaded = configFrom(opts.config);
      const { file } = loaded;
      const cfg = withOverrides(loaded.cfg, opts);
      if (opts.checkConfig) {
        const masked = (u?: string) => (u === undefined ? u : redactUrl(u));
        const shown = {
          ...cfg,
          listen: { ...cfg.listen, token: cfg.listen.token ? '(set)' : undefined },
          store: { ...cfg.store, url: masked(cfg.store.url), readUrl: masked(cfg.store.readUrl) },
          alerts: {
            ...cfg.alerts,
            alertmanager: cfg.alerts.alertmanager.map(redact),
            webhook: cfg.alerts.webhook.map(redact),
          },
        };
        if (opts.json) printJson({ file, config: shown });
        else
          process.stdout.write(
            `${file ?? '(built-in defaults)'}: ok\n${JSON.stringify(shown, null, 2)}\n`,
          );
        return;
      }
      const running = await serve(cfg);
      // SIGHUP (systemctl reload): re-read the same file; a bad one leaves the running config as it is
      const log = (m: string) => process.stderr.write(`hostops serve: ${m}\n`);
      let stopping = false;
      const reload = () => {
        if (stopping) return; // keep the handler: SIGHUP's default action would kill a shutting-down agent
        if (!file) {
          log('SIGHUP: started without a config file, nothing to reload');
          return;
        }
        void running.agent.reload(() => withOverrides(configFrom(file).cfg, opts), file);
      };
      process.on('SIGHUP', reload);
      const info = {
        url: running.url,
        site: cfg.site,
        store: cfg.store.kind === 'sqlite' ? cfg.store.path : 'postgres',
        config: file,
        targets: cfg.targets.map(
          (t) => `${t.name}=${t.host}${t.feeds?.length ? ` via ${t.feeds.join(',')}` : ''}`,
        ),
        jobs: running.agent.jobs.map((j) => ({ name: j.name, interval: j.interval })),
        notes: running.agent.notes,
      };
      if (opts.json) printJson(info);
      else {
        process.stderr.write(
          `hostops serve: dashboard on ${running.url} (site ${cfg.site}, ${info.store}, config ${file ?? 'built-in defaults'})\n`,
        );
        process.stderr.write(`hostops serve: probing ${info.targets.join(', ')}\n`);
        process.stderr.write(
          `hostops serve: jobs: ${running.agent.jobs.map((j) => `${j.name} every ${every(j.interval)}`).join(', ')}\n`,
        );
        if (!file)
          process.stderr.write(
            'hostops serve: no config file: add targets under `targets:` in ./hostops.yaml or --config FILE (docs/serve.md)\n',
          );
        for (const n of running.agent.notes) process.stderr.write(`hostops serve: ${n}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          stopping = true;
          running.stop().finally(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
