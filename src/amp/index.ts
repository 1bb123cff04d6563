/** Library API of the amp module (see docs/ntp.md): rate-limited amplification scans. */
export {
  runScan,
  scan,
  scanAll,
  DEFAULT_RATE,
  DEFAULT_MAX_ADDRESSES,
  type ScanOptions,
  type ScanReport,
  type AmpFinding,
  type AmpVerdict,
} from './scan.js';
export { PROTOCOLS, PROTOCOL_NAMES, selectProtocols, type AmpProtocol } from './protocols.js';
export { buildTargets, parseRange } from './cidr.js';
export { countAddresses } from '../lib/ip.js';
