/**
 * Who may do what over HTTP. Loopback binds may read without a token; any other bind refuses to
 * start without one and then requires it on every request. Actions that change something always
 * need the token plus a CSRF token (HMAC, bound to the server's secret and a time) and a
 * same-origin request.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { usageError } from '../lib/errors.js';
import { originAllowed } from './host-check.js';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

export function assertBindAllowed(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < 16) {
    throw usageError('SERVE_TOKEN_WEAK', 'the token is shorter than 16 characters');
  }
  if (!isLoopback(host) && !token) {
    throw usageError(
      'SERVE_TOKEN_REQUIRED',
      `refusing to listen on ${host} without a token: only loopback binds may run without one`,
    );
  }
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of a request (Authorization: Bearer ...). */
export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1] : null;
}

export class Csrf {
  private secret = randomBytes(32);
  constructor(private ttl = 12 * 3600) {}

  issue(now = Date.now() / 1000): string {
    const t = Math.floor(now).toString(36);
    return `${t}.${createHmac('sha256', this.secret).update(`csrf:${t}`).digest('base64url')}`;
  }

  verify(token: string | undefined, now = Date.now() / 1000): boolean {
    if (!token) return false;
    const [t, mac] = token.split('.');
    if (!t || !mac) return false;
    const issued = parseInt(t, 36);
    if (!Number.isFinite(issued) || now - issued > this.ttl || issued - now > 60) return false;
    return safeEqual(
      mac,
      createHmac('sha256', this.secret).update(`csrf:${t}`).digest('base64url'),
    );
  }
}

/**
 * Same-origin check: a browser's Origin (or Referer) must name one of the hosts the server answers
 * (src/serve/host-check.ts), and the one this request came to.
 */
export function sameOrigin(
  headers: Record<string, string | string[] | undefined>,
  allowed: Set<string>,
): boolean {
  const origin = (headers.origin ?? headers.referer) as string | undefined;
  if (!origin)
    return headers['sec-fetch-site'] === undefined || headers['sec-fetch-site'] === 'same-origin';
  return originAllowed(origin, headers.host as string | undefined, allowed);
}
