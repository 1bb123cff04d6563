/** Library API of the bcp38 module: anti-spoofing rule generation and the spoof test. */
export { generateRules, FORMATS, type RuleFormat } from './rules.js';
export { loadConfig, parseConfig, type Bcp38Config, type CustomerInterface, type Customer } from './config.js';
export { parsePrefix, aggregate, contains, type Prefix } from './cidr.js';
export { NFT_TABLE } from './render/nftables.js';
