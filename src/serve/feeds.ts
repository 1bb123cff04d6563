/**
 * Per transit feed: a target with `feeds: [a, b]` is measured once through each feed, and each
 * measurement is its own series named `target@feed` (names cannot hold '@', so the split is
 * unambiguous). Rollups, SLA counts, history and the graphs then work per feed unchanged; the raw
 * ping and path rows also carry the feed in their own column. A target without feeds is the
 * series `target`, exactly as before.
 */
import type { FeedConfig, TargetConfig } from '../config/index.js';
import type { SocketBind } from '../net/bind.js';

export interface Series {
  /** store / history key: `target` or `target@feed` */
  name: string;
  target: string;
  host: string;
  /** '' when measured the default way */
  feed: string;
  bind?: SocketBind;
}

export const seriesName = (target: string, feed: string): string =>
  feed ? `${target}@${feed}` : target;

export function splitSeries(name: string): { target: string; feed: string } {
  const i = name.indexOf('@');
  return i < 0 ? { target: name, feed: '' } : { target: name.slice(0, i), feed: name.slice(i + 1) };
}

export function feedBind(f: FeedConfig): SocketBind {
  return {
    ...(f.source ? { source: f.source } : {}),
    ...(f.interface ? { device: f.interface } : {}),
    ...(f.fwmark !== undefined ? { mark: f.fwmark } : {}),
  };
}

/** Every (target, feed) the agent measures, in config order. */
export function seriesOf(targets: TargetConfig[], feeds: FeedConfig[] = []): Series[] {
  const byName = new Map(feeds.map((f) => [f.name, f]));
  return targets.flatMap((t) => {
    if (!t.feeds?.length) return [{ name: t.name, target: t.name, host: t.host, feed: '' }];
    return t.feeds.flatMap((n) => {
      const f = byName.get(n);
      return f
        ? [
            {
              name: seriesName(t.name, n),
              target: t.name,
              host: t.host,
              feed: n,
              bind: feedBind(f),
            },
          ]
        : [];
    });
  });
}

/** The series grouped by feed ('' first): one probe run per way out. */
export function byFeed(series: Series[]): Map<string, Series[]> {
  const out = new Map<string, Series[]>();
  for (const s of series) {
    if (!out.has(s.feed)) out.set(s.feed, []);
    out.get(s.feed)!.push(s);
  }
  return out;
}
