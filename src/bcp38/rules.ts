/** generateRules(): one entry point over the four renderers. */
import { usageError } from '../lib/errors.js';
import { parseConfig, type Bcp38Config } from './config.js';
import { renderIos } from './render/ios.js';
import { renderIptables, type IptablesMode } from './render/iptables.js';
import { renderJunos } from './render/junos.js';
import { renderNftables } from './render/nftables.js';

export const FORMATS = ['nftables', 'iptables', 'ios', 'junos'] as const;
export type RuleFormat = (typeof FORMATS)[number];

/**
 * Rules for a parsed config (loadConfig/parseConfig) or for a plain object in the file's shape
 * (as `hostops serve` may hold it), which is validated first.
 */
export function generateRules(
  config: Bcp38Config | Record<string, unknown>,
  format: RuleFormat,
  opts: { iptablesMode?: IptablesMode } = {},
): string {
  const cfg = isParsed(config) ? config : parseConfig(JSON.stringify(config, null, 2), 'config');
  switch (format) {
    case 'nftables':
      return renderNftables(cfg);
    case 'iptables':
      return renderIptables(cfg, opts.iptablesMode ?? 'ipset');
    case 'ios':
      return renderIos(cfg);
    case 'junos':
      return renderJunos(cfg);
    default:
      throw usageError(
        'BCP38_BAD_FORMAT',
        `unknown rule format '${String(format)}'`,
        `use one of ${FORMATS.join(', ')}`,
      );
  }
}

function isParsed(c: unknown): c is Bcp38Config {
  return (
    typeof c === 'object' &&
    c !== null &&
    Array.isArray((c as Bcp38Config).egress) &&
    Array.isArray((c as Bcp38Config).warnings)
  );
}
