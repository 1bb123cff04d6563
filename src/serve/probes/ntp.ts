/**
 * NTP self-check and amplification-exposure contract (implemented over src/ntp in
 * ntp-module.ts): a mode 3 query (offset, delay, stratum) and the mode 3/6/7 exposure probes.
 */

export interface NtpResult { offset: number; delay: number; stratum: number; refid: string; leap: number; synchronized?: boolean }
export interface AmpMode { mode: string; sentBytes: number; returnedBytes: number; packets: number; factor: number; verdict?: string }
export interface AmpResult { host: string; modes: AmpMode[]; factor: number; verdict: 'exposed' | 'not-exposed'; detail?: string; server?: string; fix?: string }

export interface NtpChecker {
  readonly name: string;
  query(host: string, opts: { port: number; timeoutMs: number }): Promise<NtpResult>;
  amp(host: string, opts: { port: number; timeoutMs: number }): Promise<AmpResult>;
}
