import type { Command } from 'commander';
import { HostopsError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { configFrom, serve } from '../serve/index.js';

/** `hostops serve`: the agent, its storage, the dashboard and /metrics. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('run the agent: scheduled measurements, storage, web dashboard and Prometheus /metrics')
    .option('-c, --config <file>', 'hostops.yaml (default: ./hostops.yaml when present, else built-in defaults)')
    .option('--listen <host:port>', 'override listen.host and listen.port (default 127.0.0.1:8080)')
    .option('--db <file>', 'override store.path (SQLite)')
    .option('--site <name>', 'override the site name (default: the host name)')
    .option('--check-config', 'validate the configuration, print the resolved form and exit')
    .option('--json', 'print the resolved configuration / startup record as JSON')
    .action(async (opts: { config?: string; listen?: string; db?: string; site?: string; checkConfig?: boolean; json?: boolean }) => {
      const { cfg, file } = configFrom(opts.config);
      if (opts.site) cfg.site = opts.site;
      if (opts.db) cfg.store = { ...cfg.store, kind: 'sqlite', path: opts.db };
      if (opts.listen) {
        const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(opts.listen);
        if (!m || Number(m[3]) > 65535) throw new HostopsError('SERVE_BAD_LISTEN', `--listen expects host:port, got ${JSON.stringify(opts.listen)}`, { exitCode: 2 });
        cfg.listen = { ...cfg.listen, host: m[1] ?? m[2], port: Number(m[3]) };
      }
      if (opts.checkConfig) {
        const shown = { ...cfg, listen: { ...cfg.listen, token: cfg.listen.token ? '(set)' : undefined }, store: { ...cfg.store, url: cfg.store.url?.replace(/:[^:@/]*@/, ':***@') } };
        if (opts.json) printJson({ file, config: shown }); else process.stdout.write(`${file ?? '(built-in defaults)'}: ok\n${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const running = await serve(cfg);
      const info = { url: running.url, site: cfg.site, store: cfg.store.kind === 'sqlite' ? cfg.store.path : 'postgres', config: file, targets: cfg.targets.map((t) => `${t.name}=${t.host}`), notes: running.agent.notes };
      if (opts.json) printJson(info);
      else {
        process.stderr.write(`hostops serve: dashboard on ${running.url} (site ${cfg.site}, ${info.store}, config ${file ?? 'built-in defaults'})\n`);
        process.stderr.write(`hostops serve: probing ${info.targets.join(', ')}\n`);
        for (const n of running.agent.notes) process.stderr.write(`hostops serve: ${n}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); running.stop().finally(resolve); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
