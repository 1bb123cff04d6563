/** `hostops doctor`: what works on this host for the configured jobs, and the fix for what does not. */
import type { Command } from 'commander';
import { applyOptions, type OptionTable } from './options/index.js';
import { printJson } from '../lib/output.js';
import { loadConfig, resolveConfig } from '../config/index.js';
import { diagnose, type Report } from '../doctor/checks.js';

const MARK = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' } as const;

export function formatReport(r: Report): string {
  const lines = [
    `hostops doctor: config ${r.config ?? 'built-in defaults'}, uid ${r.user.uid}, groups ${r.user.groups.join(',') || '-'}`,
  ];
  const w = Math.max(...r.checks.map((c) => c.title.length));
  for (const c of r.checks) {
    lines.push(`  ${MARK[c.status]}  ${c.title.padEnd(w)}  ${c.detail}`);
    if (c.fix) lines.push(`  ${' '.repeat(6)}${' '.repeat(w)}  fix: ${c.fix}`);
  }
  const fails = r.checks.filter((c) => c.status === 'fail').length;
  const warns = r.checks.filter((c) => c.status === 'warn').length;
  lines.push(
    r.ok
      ? `all configured jobs can run${warns ? ` (${warns} warning${warns > 1 ? 's' : ''})` : ''}`
      : `${fails} problem${fails > 1 ? 's' : ''}: ${r.blocked.join(', ')} cannot run`,
  );
  return lines.join('\n') + '\n';
}

const DOCTOR_OPTIONS: OptionTable = {
  config: {
    flags: '-c, --config <file>',
    type: 'string',
    defaultText: './hostops.yaml when present, else built-in defaults',
    help: 'hostops.yaml',
  },
  json: { flags: '--json', type: 'bool', help: 'machine-readable report' },
};

export function register(program: Command): void {
  const doctor = program
    .command('doctor')
    .description(
      'check this host for the configured jobs: ICMP, capabilities, Exim spool and log, ports, store, PostgreSQL, clock; each problem with its fix',
    );
  applyOptions(doctor, DOCTOR_OPTIONS).action(async (opts: { config?: string; json?: boolean }) => {
    const { config, file } = loadConfig(opts.config);
    const report = await diagnose(resolveConfig(config), file);
    if (opts.json) printJson(report);
    else process.stdout.write(formatReport(report));
    process.exitCode = report.ok ? 0 : 1;
  });
}
