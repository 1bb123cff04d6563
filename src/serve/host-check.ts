/**
 * Which Host names the dashboard answers, against DNS rebinding: a page on attacker.example that
 * re-points its name at 127.0.0.1 reaches us with `Host: attacker.example`. We answer only names
 * the server is bound to (the listen address; localhost, 127.0.0.1 and ::1 on loopback; every
 * local address and the host name on a wildcard bind) and those configured in listen.allowedHosts.
 */
import os from 'node:os';
import { isIP } from 'node:net';
import { isLoopback } from './security.js';

/** Lower case, no brackets, no trailing dot: the form names are compared in. */
const norm = (h: string) =>
  h
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');

export function allowedHostNames(bind: string, configured: string[] = []): Set<string> {
  const names = new Set(configured.map(norm));
  const b = norm(bind);
  names.add(b);
  if (isLoopback(b)) for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n);
  if (b === '' || b === '0.0.0.0' || b === '::') {
    for (const n of ['localhost', '127.0.0.1', '::1', norm(os.hostname())]) names.add(n);
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (!a.address.includes('%')) names.add(norm(a.address));
    }
  }
  return names;
}

/** The name part of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), or null when malformed. */
export function hostName(header: string): string | null {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return null;
  const name = norm(m[1]);
  return m[1].startsWith('[') && isIP(name) !== 6 ? null : name;
}

export function hostAllowed(header: string | undefined, allowed: Set<string>): boolean {
  // No Host at all is HTTP/1.0 from a script, never a browser (Node refuses it on HTTP/1.1).
  if (header === undefined) return true;
  const name = hostName(header);
  return name !== null && allowed.has(name);
}

/**
 * A browser's Origin (or Referer) must name an allowed host, and the same host and port the
 * request was sent to (another port on the same host is another origin).
 */
export function originAllowed(
  origin: string,
  hostHeader: string | undefined,
  allowed: Set<string>,
): boolean {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  if (!allowed.has(norm(u.hostname))) return false;
  return hostHeader !== undefined && u.host.toLowerCase() === hostHeader.trim().toLowerCase();
}
