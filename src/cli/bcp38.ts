import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { FORMATS, generateRules, loadConfig, type RuleFormat } from '../bcp38/index.js';
import { usageError } from '../lib/errors.js';
import { printJson } from '../lib/output.js';
import { registerSpoof } from './bcp38-spoof.js';

/** `hostops bcp38`: BCP 38 anti-spoofing filters and a spoofing test between your own hosts. */
export function register(program: Command): void {
  const bcp38 = program.command('bcp38').description('BCP 38 anti-spoofing: generate egress filters, test whether spoofed packets get out');
  bcp38.command('rules')
    .description('Generate exact per-customer anti-spoofing filters from a YAML/JSON list of customer prefixes per interface')
    .argument('<file>', 'customer prefixes (YAML or JSON; see docs/bcp38.md)')
    .option('-f, --format <format>', `one of ${FORMATS.join(', ')}`, 'nftables')
    .option('--iptables-mode <mode>', 'ipset (one set per interface) or rules (one rule per prefix)', 'ipset')
    .option('-o, --output <file>', 'write the rules to a file instead of stdout')
    .option('--json', 'print { format, rules, warnings } as JSON')
    .action(async (file: string, o: { format: string; iptablesMode: string; output?: string; json?: boolean }) => {
      if (!(FORMATS as readonly string[]).includes(o.format)) throw usageError('BCP38_BAD_FORMAT', `unknown format '${o.format}'`, `use one of ${FORMATS.join(', ')}`);
      if (o.iptablesMode !== 'ipset' && o.iptablesMode !== 'rules') throw usageError('BCP38_BAD_OPTION', `--iptables-mode must be ipset or rules, got '${o.iptablesMode}'`);
      const cfg = await loadConfig(file);
      const rules = generateRules(cfg, o.format as RuleFormat, { iptablesMode: o.iptablesMode });
      if (o.output) await writeFile(o.output, rules, { mode: o.format === 'iptables' ? 0o755 : 0o644 });
      if (o.json) printJson({ format: o.format, rules, warnings: cfg.warnings });
      else {
        if (!o.output) process.stdout.write(rules);
        for (const w of cfg.warnings) process.stderr.write(`hostops: warning: ${w}\n`);
      }
    });
  registerSpoof(bcp38);
}
