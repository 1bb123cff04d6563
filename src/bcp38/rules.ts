/** generateRules(): one entry point over the four renderers. */
import { usageError } from '../lib/errors.js';
import type { Bcp38Config } from './config.js';
import { renderIos } from './render/ios.js';
import { renderIptables, type IptablesMode } from './render/iptables.js';
import { renderJunos } from './render/junos.js';
import { renderNftables } from './render/nftables.js';

export const FORMATS = ['nftables', 'iptables', 'ios', 'junos'] as const;
export type RuleFormat = (typeof FORMATS)[number];

export function generateRules(cfg: Bcp38Config, format: RuleFormat, opts: { iptablesMode?: IptablesMode } = {}): string {
  switch (format) {
    case 'nftables': return renderNftables(cfg);
    case 'iptables': return renderIptables(cfg, opts.iptablesMode ?? 'ipset');
    case 'ios': return renderIos(cfg);
    case 'junos': return renderJunos(cfg);
    default: throw usageError('BCP38_BAD_FORMAT', `unknown rule format '${String(format)}'`, `use one of ${FORMATS.join(', ')}`);
  }
}
