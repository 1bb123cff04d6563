/** Library API of the ntp module (see docs/ntp.md): query, check, audit. */
export { ntpQuery, type NtpQueryResult } from './query.js';
export {
  ntpCheck,
  type NtpCheckResult,
  type NtpCheckOptions,
  type ProbeResult,
  type Verdict,
} from './check.js';
export { amplification, frameBytes, type Amplification, type Layer } from './factor.js';
export { FIX, fixFor, type ServerKind } from './fixes.js';
export * as packet from './packet.js';
