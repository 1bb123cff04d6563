/** Checks of the client's options, made before anything is sent. */
import net from 'node:net';
import { HostopsError } from '../../lib/errors.js';
import { credentialProblem, encodeAuthToken } from '../auth.js';
import type { ClientAuth } from '../client.js';
import { Limits } from '../constants.js';
import type { TestSettings } from '../params.js';

/** A host is an IP address or a DNS name; anything else is refused before any lookup. */
export function validateHost(host: string): void {
  const name =
    /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
  if (typeof host !== 'string' || !(net.isIP(host) || name.test(host))) {
    throw new HostopsError(
      'IPERF_BAD_HOST',
      `not a host name or IP address: ${JSON.stringify(String(host).slice(0, 80))}`,
    );
  }
}

export function validateClientSettings(s: TestSettings): void {
  const bad = (m: string) => {
    throw new HostopsError('IPERF_BAD_OPTION', m);
  };
  if (s.parallel < 1 || s.parallel > Limits.maxParallel)
    bad(`parallel streams must be 1..${Limits.maxParallel}`);
  if (s.protocol === 'udp' && (s.len < Limits.minUdpLen || s.len > Limits.maxUdpLen))
    bad(`UDP block size must be ${Limits.minUdpLen}..${Limits.maxUdpLen}`);
  if (s.protocol === 'tcp' && (s.len < 1 || s.len > Limits.maxTcpLen))
    bad(`TCP block size must be 1..${Limits.maxTcpLen}`);
  if (s.duration < 0 || s.duration > Limits.maxTime) bad(`duration must be 0..${Limits.maxTime} s`);
  if (s.omit < 0 || s.omit > Limits.maxOmit) bad(`omit must be 0..${Limits.maxOmit} s`);
  if (s.reverse && s.bidir) bad('-R and --bidir cannot be combined');
  if (s.udp64 === false && s.protocol === 'udp' && s.len < 12)
    bad('UDP block size must hold the 12-byte header');
}

/** Credentials iperf3 could never authenticate, or too long for the key, are refused before connecting. */
export function checkClientAuth(a: ClientAuth): void {
  const problem = credentialProblem(a.username, a.password);
  if (problem)
    throw new HostopsError('IPERF_AUTH_CREDENTIALS', problem, {
      exitCode: 2,
      hint: 'iperf3 servers parse the credentials with sscanf("%s")',
    });
  try {
    encodeAuthToken(a.username, a.password, a.publicKey, Math.floor(Date.now() / 1000), a.padding);
  } catch (e) {
    throw new HostopsError(
      'IPERF_AUTH_CREDENTIALS',
      `the user name and password are too long for the RSA key to encrypt (${(e as Error).message})`,
      {
        exitCode: 2,
        hint: 'use shorter credentials, or a larger key on the server (2048 bits hold about 200 bytes)',
      },
    );
  }
}
