/** Library API of the bcp38 module: anti-spoofing rule generation and the spoof test. */
export { generateRules, FORMATS, type RuleFormat } from './rules.js';
export {
  loadConfig,
  parseConfig,
  type Bcp38Config,
  type CustomerInterface,
  type Customer,
} from './config.js';
export { parsePrefix } from './cidr.js';
export { aggregate, contains, type Prefix } from '../lib/ip.js';
export { NFT_TABLE } from './render/nftables.js';
export { startListener, type Listener, type ListenerOptions } from './spoof/listener.js';
export {
  spoofTest,
  defaultSources,
  type SpoofTestOptions,
  type SpoofTestResult,
  type SpoofSource,
  type SpoofProbeResult,
} from './spoof/spooftest.js';
export { DEFAULT_PORT as SPOOF_PORT, type ProbeRecord } from './spoof/protocol.js';
