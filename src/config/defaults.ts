/** What an agent measures when the config names nothing: this host, its default gateway. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Config, TargetConfig } from './schema.js';

/** The IPv4 default gateway from /proc/net/route (little-endian hex), or null. */
export function defaultGateway(routeFile = '/proc/net/route'): string | null {
  let text: string;
  try {
    text = readFileSync(routeFile, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const flags = parseInt(f[3], 16);
    if (!(flags & 0x2)) continue; // RTF_GATEWAY
    const g = parseInt(f[2], 16);
    if (!g) continue;
    return [g & 255, (g >>> 8) & 255, (g >>> 16) & 255, (g >>> 24) & 255].join('.');
  }
  return null;
}

export function defaultSite(): string {
  const h = hostname()
    .split('.')[0]
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 64);
  return /^[A-Za-z0-9]/.test(h) ? h : 'local';
}

export interface ResolvedConfig extends Config {
  site: string;
}

/** Fill in the site name and the implicit targets (this host, the gateway) without duplicates. */
export function resolveConfig(cfg: Config, opts: { routeFile?: string } = {}): ResolvedConfig {
  const targets: TargetConfig[] = [...cfg.targets];
  const have = new Set(targets.map((t) => t.host));
  const names = new Set(targets.map((t) => t.name));
  const add = (name: string, host: string) => {
    if (have.has(host) || names.has(name)) return;
    targets.push({ name, host, path: true });
    have.add(host);
  };
  if (cfg.defaults.self) add('localhost', '127.0.0.1');
  if (cfg.defaults.gateway) {
    const gw = defaultGateway(opts.routeFile);
    if (gw) add('gateway', gw);
  }
  return { ...cfg, site: cfg.site ?? defaultSite(), targets };
}
