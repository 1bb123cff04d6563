/** What a probe reports about a server's TLS certificate. */
import type { TLSSocket, PeerCertificate } from 'node:tls';

export interface CertInfo {
  subject: string;
  issuer: string;
  /** RFC 3339 UTC */
  notBefore: string;
  notAfter: string;
  /** whole days until notAfter (negative once expired), floored as blackbox's probe_ssl_earliest_cert_expiry minus now would be */
  daysLeft: number;
  serial: string;
  fingerprint256: string;
}
export interface TlsInfo {
  protocol: string | null;
  cipher: string | null;
  authorized: boolean;
  authorizationError: string | null;
  cert: CertInfo | null;
}

const dn = (x: Record<string, string | string[]> | undefined) =>
  x
    ? Object.entries(x)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
        .join(', ')
    : '';

export function certInfo(c: PeerCertificate, now = Date.now()): CertInfo | null {
  if (!c || !c.valid_to) return null;
  const notAfter = Date.parse(c.valid_to);
  return {
    subject: dn(c.subject as unknown as Record<string, string>),
    issuer: dn(c.issuer as unknown as Record<string, string>),
    notBefore: new Date(Date.parse(c.valid_from)).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    daysLeft: Math.floor((notAfter - now) / 86_400_000),
    serial: c.serialNumber,
    fingerprint256: c.fingerprint256,
  };
}

export function tlsInfo(s: TLSSocket): TlsInfo {
  const err = s.authorizationError as unknown as Error | string | null;
  return {
    protocol: s.getProtocol() ?? null,
    cipher: s.getCipher()?.name ?? null,
    authorized: s.authorized,
    authorizationError: err
      ? typeof err === 'string'
        ? err
        : ((err as NodeJS.ErrnoException).code ?? err.message)
      : null,
    cert: certInfo(s.getPeerCertificate()),
  };
}
